/**
 * The processor stage: runs `prepareMessages` and `handleMessage` on each
 * chunk the producers send, one message at a time.
 *
 * Failures are contained per message: a throw, a rejection, a timeout, a
 * non-Message return or an unknown batcher fails that message only, and the
 * rest of the chunk goes on. Failed messages go through `handleFailed` and
 * are acked here. Successful ones are acked here too when there are no
 * batchers, or added to their batcher (batcher.ts), which may make the
 * processor wait before its next chunk.
 *
 * The chunk loop is synchronous until a handler returns a promise, so sync
 * handlers cost no promise at all.
 *
 * Without batchers, a message does not wait for its whole chunk to be
 * acked: while handlers complete back to back the acks are coalesced, and
 * as soon as the thread goes idle (a handler waits on I/O) the messages
 * done so far are acked, together with those of every other processor
 * done in the same event-loop turn (runtime.ts, when-idle.ts). A chunk of no-op
 * handlers is still acked once, at its end.
 */
import { SluiceError } from '../errors.ts';
import { show } from '../options/parse.ts';
import { isThenable } from '../internal/thenable.ts';
import { withSchema } from './validate-data.ts';
import { consumer, type Stage } from '../stage/stage.ts';
import type { SubscribeTarget, Subscription } from '../stage/types.ts';
import type { Batcher } from './batcher.ts';
import { callWithTimeout } from './call-with-timeout.ts';
import { runHandleFailed } from './handle-failed.ts';
import { Message } from './message.ts';
import { subscriptionOptions } from './processor-subscription.ts';
import type { PipelineRuntime } from './runtime.ts';
import { channels } from './telemetry.ts';

const DONE = Symbol('done');
/** resize.ts retires a processor: it cancels its subscriptions, handles what was sent, stops. */
export const RETIRE = Symbol('retire');
/** start() filed the message already (it failed before or in the call). */
const SKIPPED = Symbol('skipped');

/** True when `returned` holds exactly the messages of `given`, each once, in any order. */
function sameSet(given: readonly Message[], returned: readonly unknown[]): boolean {
  const left = new Set<unknown>(given);
  for (const m of returned) if (!left.delete(m)) return false;
  return left.size === 0;
}

/** Collects the outcome of one chunk. */
interface Outcome {
  readonly successful: Message[];
  readonly failed: Message[];
  /** How many of `successful` were acked already, while the chunk waited (no batchers). */
  acked: number;
}

export function startProcessor(
  rt: PipelineRuntime,
  index: number,
  producers: readonly Stage<never, Message>[],
  partitioned: boolean,
  batchers: ReadonlyMap<string, Batcher>,
): Stage<Message, never> {
  const def = rt.definition.processor;
  const key = def.key;
  const logger = rt.logger.child({ stage: 'processor', processor: key, index });
  const callbacks = rt.definition.callbacks;
  const context = rt.context;
  const signal = rt.shutdown.signal;
  const forward = batchers.size > 0;
  const onlyBatcher = batchers.size === 1 ? [...batchers.values()][0] : undefined;
  const onlyKey = onlyBatcher?.key;
  const timeout = def.timeout;
  let activeProducers = producers.length;
  const upstream: Subscription[] = [];
  /** The chunk being handled, for the idle flush. */
  let current: Outcome | undefined;
  let idleFlushArmed = false;
  const progress = rt.stalls.watch(`${rt.name}.processor.${key}.${index}`);

  /** Hands over the messages of the current chunk that are done, for the runtime's idle ack. */
  const collectDone = (into: Message[]): void => {
    idleFlushArmed = false;
    const outcome = current;
    if (outcome === undefined) return;
    const to = outcome.successful.length;
    for (let i = outcome.acked; i < to; i++) into.push(outcome.successful[i] as Message);
    outcome.acked = to;
  };

  /** Logs a crash in user code once, with the message id and the cause. */
  const crashed = (message: Message, error: unknown, callback: string): void => {
    message.status = { kind: 'error', error, callback };
    logger.error(
      { err: error, messageId: message.id },
      `${callback} failed for message ${String(message.id ?? '(no id)')}`,
    );
  };

  /** Files a message after handleMessage returned `value` for it. */
  const settle = (message: Message, returned: unknown, outcome: Outcome): void => {
    if (!(returned instanceof Message)) {
      crashed(
        message,
        new SluiceError(
          'ERR_BAD_RETURN',
          `handleMessage must return a Message, got ${show(returned)}`,
        ),
        'handleMessage',
      );
      outcome.failed.push(message);
      return;
    }
    if (returned !== message) {
      // Acking the returned message would ack something this chunk does not
      // own (perhaps twice) and leave the original un-acked for ever.
      crashed(
        message,
        new SluiceError(
          'ERR_BAD_RETURN',
          `handleMessage must return the Message it was given (id ${show(message.id)}), got another Message (id ${show((returned as Message).id)})`,
        ),
        'handleMessage',
      );
      outcome.failed.push(message);
      return;
    }
    const value = message;
    if (!value.ok) {
      outcome.failed.push(value);
      return;
    }
    // One batcher (the usual case): a string comparison, not a Map lookup.
    if (forward && value.batcher !== onlyKey && !batchers.has(value.batcher)) {
      crashed(
        value,
        new SluiceError(
          'ERR_BAD_RETURN',
          `message was set to unknown batcher ${show(value.batcher)}; the known batchers are ${[...batchers.keys()].map((b) => show(b)).join(', ')}`,
        ),
        'handleMessage',
      );
      outcome.failed.push(value);
      return;
    }
    outcome.successful.push(value);
  };

  const publishMessage = (message: Message, start: number, error?: unknown): void => {
    const durationMs = performance.now() - start;
    if (error === undefined) {
      if (channels.messageStop.hasSubscribers) {
        channels.messageStop.publish({
          pipeline: rt.name,
          processor: key,
          index,
          message,
          context,
          durationMs,
        });
      }
    } else if (channels.messageException.hasSubscribers) {
      channels.messageException.publish({
        pipeline: rt.name,
        processor: key,
        index,
        message,
        context,
        durationMs,
        error,
      });
    }
  };

  /** Calls handleMessage, with the processor timeout if one is set. */
  const handle = (message: Message): unknown =>
    timeout === undefined
      ? callbacks.handleMessage(key, message, context, signal)
      : callWithTimeout(
          (callSignal) => callbacks.handleMessage(key, message, context, callSignal),
          timeout,
          signal,
          'handleMessage',
        );
  /** With a `schema`, the data is validated (and replaced by its output) first. */
  const call = def.schema === undefined ? handle : withSchema(def.schema, handle);

  /**
   * Starts handleMessage for messages[i] and returns its result, or
   * `SKIPPED` when the message failed before or during the call (it is
   * already filed).
   */
  const start = (message: Message, outcome: Outcome, observed: boolean): unknown => {
    if (!message.ok) {
      outcome.failed.push(message);
      return SKIPPED;
    }
    if (observed && channels.messageStart.hasSubscribers) {
      channels.messageStart.publish({ pipeline: rt.name, processor: key, index, message, context });
    }
    try {
      return call(message);
    } catch (error) {
      crashed(message, error, 'handleMessage');
      outcome.failed.push(message);
      if (observed) publishMessage(message, performance.now(), error);
      return SKIPPED;
    }
  };

  /**
   * Handles the chunk one message at a time. Synchronous handlers never
   * leave the loop; the first promise hands the rest of the chunk to one
   * async loop, so a chunk costs one async frame whatever its size.
   */
  const handleAll = (messages: Message[], outcome: Outcome): void | Promise<void> => {
    const observed =
      channels.messageStart.hasSubscribers ||
      channels.messageStop.hasSubscribers ||
      channels.messageException.hasSubscribers;
    for (let i = 0; i < messages.length; i++) {
      const began = observed ? performance.now() : 0;
      const message = messages[i] as Message;
      const result = start(message, outcome, observed);
      if (result === SKIPPED) continue;
      if (isThenable(result)) return handleRest(messages, i, result, outcome, observed, began);
      settle(message, result, outcome);
      if (observed) publishMessage(message, began);
    }
  };

  const handleRest = async (
    messages: Message[],
    at: number,
    first: PromiseLike<unknown>,
    outcome: Outcome,
    observed: boolean,
    firstBegan: number,
  ): Promise<void> => {
    let i = at;
    let pending: unknown = first;
    let began = firstBegan;
    for (;;) {
      const message = messages[i] as Message;
      try {
        settle(message, isThenable(pending) ? await pending : pending, outcome);
        progress.ticks++;
        if (observed) publishMessage(message, began);
        if (!idleFlushArmed && !forward && outcome.successful.length > outcome.acked) {
          idleFlushArmed = true;
          rt.ackWhenIdle(collectDone);
        }
      } catch (error) {
        crashed(message, error, 'handleMessage');
        outcome.failed.push(message);
        if (observed) publishMessage(message, began, error);
      }
      // Next message that needs handling; synchronous results are filed here.
      for (i++; i < messages.length; i++) {
        began = observed ? performance.now() : 0;
        pending = start(messages[i] as Message, outcome, observed);
        if (pending === SKIPPED) continue;
        if (isThenable(pending)) break;
        settle(messages[i] as Message, pending, outcome);
        if (observed) publishMessage(messages[i] as Message, began);
      }
      if (i >= messages.length) return;
    }
  };

  /** Hands successful messages to their batchers; a promise while one is full. */
  const toBatchers = (messages: Message[]): void | Promise<void> => {
    if (messages.length === 0) return undefined;
    if (onlyBatcher !== undefined) return onlyBatcher.add(messages);
    const byBatcher = new Map<string, Message[]>();
    for (const m of messages) {
      const list = byBatcher.get(m.batcher);
      if (list === undefined) byBatcher.set(m.batcher, [m]);
      else list.push(m);
    }
    let waits: Promise<void>[] | undefined;
    for (const [key, list] of byBatcher) {
      const wait = (batchers.get(key) as Batcher).add(list);
      if (wait !== undefined) (waits ??= []).push(wait);
    }
    return waits === undefined ? undefined : Promise.all(waits).then(() => undefined);
  };

  /** The end of a chunk: handleFailed, acks, telemetry, then the batchers. */
  const finish = (outcome: Outcome, start: number): void | Promise<void> => {
    const done = (failed: readonly Message[]): void | Promise<void> => {
      if (forward) rt.ack([], failed);
      else {
        const from = outcome.acked;
        outcome.acked = outcome.successful.length;
        rt.ack(from === 0 ? outcome.successful : outcome.successful.slice(from), failed);
      }
      if (current === outcome) current = undefined;
      progress.release(progress.holding);
      if (channels.processorStop.hasSubscribers) {
        channels.processorStop.publish({
          pipeline: rt.name,
          processor: key,
          index,
          successfulToAck: forward ? [] : outcome.successful,
          successfulToForward: forward ? outcome.successful : [],
          failed,
          durationMs: performance.now() - start,
          context,
        });
      }
      return forward ? toBatchers(outcome.successful) : undefined;
    };
    if (outcome.failed.length === 0) return done(outcome.failed);
    const failed = runHandleFailed(rt, 'processor', outcome.failed, logger);
    return isThenable(failed) ? failed.then(done) : done(failed);
  };

  const handleEvents = (messages: Message[]): void | Promise<void> => {
    const start =
      channels.processorStart.hasSubscribers || channels.processorStop.hasSubscribers
        ? performance.now()
        : 0;
    if (channels.processorStart.hasSubscribers) {
      channels.processorStart.publish({
        pipeline: rt.name,
        processor: key,
        index,
        messages,
        context,
      });
    }
    const outcome: Outcome = { successful: [], failed: [], acked: 0 };
    current = outcome;
    progress.take(messages.length);
    const run = (prepared: Message[]): void | Promise<void> => {
      const handled = handleAll(prepared, outcome);
      return handled === undefined
        ? finish(outcome, start)
        : handled.then(() => finish(outcome, start));
    };
    if (callbacks.prepareMessages === undefined) return run(messages);
    const failAll = (error: unknown): void | Promise<void> => {
      for (const m of messages) {
        crashed(m, error, 'prepareMessages');
        outcome.failed.push(m);
      }
      return finish(outcome, start);
    };
    const checked = (prepared: unknown): void | Promise<void> => {
      if (!Array.isArray(prepared) || prepared.length !== messages.length) {
        return failAll(
          new SluiceError(
            'ERR_BAD_RETURN',
            `prepareMessages must return all ${messages.length} messages it received, got ${Array.isArray(prepared) ? `${prepared.length} messages` : show(prepared)}`,
          ),
        );
      }
      if (prepared !== messages && !sameSet(messages, prepared as unknown[])) {
        return failAll(
          new SluiceError(
            'ERR_BAD_RETURN',
            `prepareMessages must return the ${messages.length} Messages it received, each once (in any order); it returned others`,
          ),
        );
      }
      return run(prepared as Message[]);
    };
    let prepared: unknown;
    try {
      prepared = callbacks.prepareMessages(messages, context, signal);
    } catch (error) {
      return failAll(error);
    }
    return isThenable(prepared)
      ? Promise.resolve(prepared).then(checked, failAll)
      : checked(prepared);
  };

  const options = subscriptionOptions(def, partitioned ? index : undefined);
  const subscribeTo: SubscribeTarget<Message>[] = producers.map((p) => [p, options] as const);
  return consumer<Message>(
    {
      handleEvents,
      handleSubscribe(_as, _options, subscription) {
        upstream.push(subscription);
      },
      handleCancel(_c, _s, stage) {
        activeProducers--;
        // Every producer is gone: finish what was sent, then stop.
        if (activeProducers === 0) stage.infoAfterBuffered(DONE);
      },
      handleInfo(message, stage) {
        if (message === DONE) void stage.stop('shutdown');
        // What the producers sent arrives before their cancel (GenStage).
        else if (message === RETIRE) for (const s of upstream) stage.cancel(s);
      },
    },
    { name: `${rt.name}.processor.${key}.${index}`, logger: rt.logger, subscribeTo },
  );
}
