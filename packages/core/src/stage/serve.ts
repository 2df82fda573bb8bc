/**
 * The emitter side of the protocol: how a producer (or producer-consumer)
 * takes subscriptions, asks and cancels from its consumers, and turns demand
 * it cannot serve from its buffer into `handleDemand` calls. The state lives
 * in the process's {@link Emitter}; these steps call the callbacks.
 */
import { SluiceError } from '../errors.ts';
import { show } from '../options/parse.ts';
import { takeInbound } from './consume.ts';
import type { StageProcess } from './process.ts';
import { RETURN_FALSE, type Sub } from './protocol.ts';
import type { Step } from './runner.ts';
import type { Cancellation, DemandMode } from './types.ts';

/** A consumer's subscription arrived: register it with the dispatcher. */
export function onSubscribe(p: StageProcess, sub: Sub): boolean {
  let demand: number;
  try {
    demand = p.out.subscribe(sub, { ...sub.options, consumer: sub.consumer });
  } catch (error) {
    sub.to.post({ t: 'cancel-downstream', sub, cancellation: { kind: 'cancel', reason: error } });
    return false;
  }
  const proceed = (mode: unknown): boolean => {
    if (mode !== undefined && mode !== 'automatic') {
      throw new SluiceError(
        'ERR_BAD_RETURN',
        `handleSubscribe on a producer must return 'automatic', got ${show(mode)}`,
      );
    }
    return demand > 0 ? onDemand(p, demand, demand, RETURN_FALSE) : false;
  };
  const callbacks = p.callbacks;
  if (callbacks.handleSubscribe === undefined) return proceed(undefined);
  return p.then(callbacks.handleSubscribe('consumer', sub.options, sub, p.stage), proceed);
}

/** A consumer cancelled, or went down. */
export function onCancelUpstream(p: StageProcess, sub: Sub, cancellation: Cancellation): boolean {
  const demand = p.out.cancel(sub);
  if (demand < 0) return false;
  if (cancellation.kind === 'cancel') {
    sub.to.post({ t: 'cancel-downstream', sub, cancellation });
  }
  // The consumer that left may have held the others back (a broadcast, or
  // buffered events it never asked for): the buffer is offered again.
  const buffered = p.out.buffer.count;
  return p.runHandleCancel(cancellation, sub, () =>
    demand > 0 || buffered > 0
      ? onDemand(p, demand, Math.max(demand, buffered), RETURN_FALSE)
      : false,
  );
}

/** A consumer asked for `n` more events. */
export function onAsk(p: StageProcess, sub: Sub, n: number, then: Step): boolean {
  const emitter = p.out;
  if (!emitter.consumers.has(sub)) return then();
  // As GenStage, the dispatcher hears the ask at once, even in `accumulate`
  // mode; only the demand it yields is held (in onDemand).
  let counter = emitter.ask(sub, n);
  let asked = n;
  // Asks already waiting next in the mailbox are served together, with one
  // handleDemand for their sum: a partitioned producer then emits one chunk
  // split across its consumers, not one small chunk per ask. Not while
  // held demand is replayed: later asks must not overtake it.
  if (then === RETURN_FALSE && emitter.accumulatedCount === 0) {
    const mailbox = p.runner.mailbox;
    for (let next = mailbox.peek(); next?.t === 'ask'; next = mailbox.peek()) {
      if (!emitter.consumers.has(next.sub)) break;
      mailbox.shift();
      counter += emitter.ask(next.sub, next.n);
      asked += next.n;
    }
  }
  return onDemand(p, counter, asked, then);
}

/**
 * New upstream demand `counter` (from asks of `asked`): serve it from the
 * buffer first, then from the stage itself.
 */
function onDemand(p: StageProcess, counter: number, asked: number, then: Step): boolean {
  const emitter = p.out;
  const remaining = emitter.serve(counter, asked);
  if (remaining === 0) return then();
  if (p.kind === 'producer_consumer') {
    emitter.unmet += remaining;
    return takeInbound(p, then);
  }
  if (emitter.accumulating) {
    emitter.holdDemand(remaining);
    return then();
  }
  const callbacks = p.callbacks as Required<Pick<typeof p.callbacks, 'handleDemand'>>;
  return p.then(callbacks.handleDemand(remaining, p.stage), (events) => {
    p.emit(events, 'handleDemand');
    return then();
  });
}

/** `infoAfterBuffered`: after the events buffered (or queued inbound) before it. */
export function onInfoAfterBuffered(p: StageProcess, message: unknown): boolean {
  if (p.emitter === null) return p.onInfo(message, RETURN_FALSE);
  if (p.receiver.inbound.length > 0) {
    p.receiver.inbound.push({ t: 'info', message });
    return false;
  }
  p.emitter.infoAfterBuffered(message);
  return false;
}

/** Switches demand mode; back to `forward` replays what was held, in order. */
export function onDemandMode(p: StageProcess, mode: DemandMode): boolean {
  const emitter = p.out;
  emitter.setMode(mode);
  if (mode === 'accumulate') return false;
  return p.runner.iterate((next) => {
    if (emitter.accumulating) return undefined;
    const item = emitter.nextAccumulated();
    if (item === undefined) return undefined;
    if ('events' in item) {
      emitter.emitNow(item.events);
      return next();
    }
    return onDemand(p, item.demand, item.demand, next);
  }, RETURN_FALSE);
}
