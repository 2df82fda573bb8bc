/**
 * The receiver side of the protocol: how a consumer (or producer-consumer)
 * subscribes, hands incoming events to `handleEvents` in chunks that follow
 * its demand rule, asks for more, and reacts when a subscription ends. The
 * state lives in the process's {@link Receiver}; these steps call the
 * callbacks.
 */
import { SluiceError, isNormalReason } from '../errors.ts';
import { show } from '../options/parse.ts';
import { isThenable } from '../internal/thenable.ts';
import type { StageProcess } from './process.ts';
import { RETURN_FALSE, StopWhenFlushed, type Sub } from './protocol.ts';
import type { UpstreamLink } from './receiver.ts';
import type { Step } from './runner.ts';
import type { Cancellation } from './types.ts';

/**
 * Makes a subscription. As in GenStage, the subscribe message goes out
 * before `handleSubscribe` runs, so a manual consumer may `ask` from inside
 * it; an automatic one asks `maxDemand` once the callback has returned.
 */
export function onSubscribeSelf(p: StageProcess, sub: Sub): boolean {
  const link = p.receiver.add(sub);
  sub.from.post({ t: 'subscribe', sub });
  const proceed = (mode: unknown): boolean => {
    if (mode !== undefined && mode !== 'automatic' && mode !== 'manual') {
      throw new SluiceError(
        'ERR_BAD_RETURN',
        `handleSubscribe must return 'automatic' or 'manual', got ${show(mode)}`,
      );
    }
    if (mode !== 'manual' && p.receiver.links.get(sub) === link) {
      sub.from.post({ t: 'ask', sub, n: p.receiver.automatic(link) });
    }
    return false;
  };
  const callbacks = p.callbacks;
  if (callbacks.handleSubscribe === undefined) return proceed(undefined);
  return p.then(callbacks.handleSubscribe('producer', sub.options, sub, p.stage), proceed);
}

/** A cancel issued before the subscription was made: sent now that it has been. */
export function onCancelSelf(p: StageProcess, sub: Sub, reason: unknown): boolean {
  if (p.receiver.links.has(sub)) sub.from.post({ t: 'cancel-upstream', sub, reason });
  return false;
}

/** The subscription ended (a confirmed cancel, or the producer went down). */
export function onCancelDownstream(p: StageProcess, sub: Sub, cancellation: Cancellation): boolean {
  const inbound = p.receiver.inbound;
  if (inbound.length > 0 && p.receiver.links.has(sub)) {
    // A producer-consumer handles it after the events queued before it.
    inbound.push({ t: 'cancel', sub, cancellation });
    return false;
  }
  return applyCancel(p, sub, cancellation, RETURN_FALSE);
}

function applyCancel(p: StageProcess, sub: Sub, cancellation: Cancellation, then: Step): boolean {
  if (!p.receiver.links.delete(sub)) return then();
  return p.runHandleCancel(cancellation, sub, () => {
    const mode = sub.options.cancel;
    // As GenStage: a duplicate subscription the producer refused ends only
    // itself; the consumer keeps the subscription it already had.
    if (isAlreadySubscribed(cancellation.reason)) return then();
    if (mode === 'permanent' || (mode === 'transient' && !isNormalReason(cancellation.reason))) {
      stopAfterFlush(p, cancellation.reason);
    }
    return then();
  });
}

function isAlreadySubscribed(reason: unknown): boolean {
  return reason instanceof SluiceError && reason.code === 'ERR_ALREADY_SUBSCRIBED';
}

/**
 * Stops because a subscription ended. A producer-consumer whose upstream
 * ended normally first sends what it still buffers to its consumers (GenStage
 * would drop it); for an abnormal reason, or with no consumer left to take
 * the events, it stops at once.
 */
function stopAfterFlush(p: StageProcess, reason: unknown): void {
  const buffer = p.emitter?.buffer;
  if (buffer === undefined || buffer.count === 0 || !isNormalReason(reason)) {
    p.runner.requestStop(reason);
  } else if (p.out.consumers.size === 0) {
    p.logger.warn(
      { code: 'WARN_BUFFERED_EVENTS_LOST', count: buffer.count },
      `stage ${p.name} stopped with ${buffer.count} buffered events and no consumer to take them`,
    );
    p.runner.requestStop(reason);
  } else {
    buffer.storeInfo(new StopWhenFlushed(reason));
  }
}

/** Events arrived on `sub`. */
export function onEvents(p: StageProcess, sub: Sub, events: unknown[]): boolean {
  const link = p.receiver.links.get(sub);
  if (link === undefined) return false; // cancelled meanwhile
  if (p.kind === 'producer_consumer') {
    p.receiver.inbound.push({ t: 'events', sub, events });
    return takeInbound(p, RETURN_FALSE);
  }
  return consume(p, link, events, 0, RETURN_FALSE);
}

/**
 * Hands `events` to `handleEvents`, from `offset`, in chunks per the
 * subscription's demand rule, asking for more after each chunk.
 */
function consume(
  p: StageProcess,
  link: UpstreamLink,
  events: unknown[],
  offset: number,
  then: Step,
): boolean {
  const callbacks = p.callbacks as Required<Pick<typeof p.callbacks, 'handleEvents'>>;
  const receiver = p.receiver;
  const runner = p.runner;
  while (offset < events.length) {
    if (p.emitter !== null && p.emitter.unmet <= 0) {
      // Downstream is full: the rest waits at the front of the queue, so a
      // producer-consumer runs at most one chunk ahead of its consumers.
      receiver.inbound.unshift({ t: 'events', sub: link.sub, events: events.slice(offset) });
      return then();
    }
    const chunk = receiver.nextChunk(link, events, offset);
    const ask = receiver.chunkAsk;
    offset = receiver.chunkEnd;
    if (receiver.chunkExcess > 0) reportExcess(p, link, receiver.chunkExcess);
    const result = callbacks.handleEvents(chunk, link.sub, p.stage);
    if (isThenable(result)) {
      const next = offset;
      return runner.await(result, (out) => {
        afterChunk(p, link, out, ask);
        if (runner.stopRequested) return false;
        return consume(p, link, events, next, then);
      });
    }
    afterChunk(p, link, result, ask);
    if (runner.stopRequested) return false;
  }
  return then();
}

function afterChunk(p: StageProcess, link: UpstreamLink, out: unknown, ask: number): void {
  p.emit(out, 'handleEvents');
  if (ask > 0 && p.receiver.links.has(link.sub)) {
    link.sub.from.post({ t: 'ask', sub: link.sub, n: ask });
  }
}

function reportExcess(p: StageProcess, link: UpstreamLink, count: number): void {
  const from = link.sub.producer.name;
  p.logger.error(
    { count, producer: from },
    `stage ${p.name} received ${count} events in excess of its demand from ${from}`,
  );
}

/** Producer-consumer: handles queued inbound items while downstream has demand. */
export function takeInbound(p: StageProcess, then: Step): boolean {
  const emitter = p.out;
  const inbound = p.receiver.inbound;
  return p.runner.iterate((next) => {
    if (emitter.unmet <= 0) return undefined;
    const item = inbound.shift();
    if (item === undefined) return undefined;
    switch (item.t) {
      case 'events': {
        const link = p.receiver.links.get(item.sub);
        if (link === undefined) return next();
        return consume(p, link, item.events, 0, next);
      }
      case 'info':
        return p.onInfo(item.message, next);
      case 'cancel':
        return applyCancel(p, item.sub, item.cancellation, next);
    }
  }, then);
}
