/**
 * A batch processor: runs `handleBatch` on one closed batch, then acks the
 * whole batch. Its batcher (batcher.ts) runs up to `concurrency` of them at
 * once, each lane one batch at a time.
 *
 * Stricter than Broadway: a message `handleBatch` does not return is failed
 * and acked as failed, never left un-acked. A throw, a rejection, a
 * non-array, or the batcher's `timeout` passing fails the whole batch, and
 * so does a returned element that is not a Message of this batch (acking
 * it would ack a message twice, or one this batch does not own).
 * `handleBatch` gets its own copy of the batch, so whatever it does to that
 * array, the batch processor still knows which messages it handed over.
 */
import { SluiceError } from '../errors.ts';
import { show } from '../options/parse.ts';
import { isThenable } from '../internal/thenable.ts';
import type { EmittedBatch } from './batches.ts';
import { callWithTimeout } from './call-with-timeout.ts';
import type { ResolvedBatcher } from './definition.ts';
import { runHandleFailed } from './handle-failed.ts';
import type { StageProgress } from './health.ts';
import { Message } from './message.ts';
import type { PipelineRuntime } from './runtime.ts';
import { channels } from './telemetry.ts';

/** One pass, no allocation: the index of the first failed message, or -1. */
function firstNotOk(messages: readonly Message[]): number {
  for (let i = 0; i < messages.length; i++) if (!(messages[i] as Message).ok) return i;
  return -1;
}

function sameMessages(given: readonly Message[], returned: readonly unknown[]): boolean {
  for (let i = 0; i < given.length; i++) if (given[i] !== returned[i]) return false;
  return true;
}

/** Splits messages into ok and not ok, keeping order; `from` is the first not-ok one. */
function split(messages: readonly Message[], from: number): { ok: Message[]; notOk: Message[] } {
  const ok = messages.slice(0, from);
  const notOk: Message[] = [];
  for (let i = from; i < messages.length; i++) {
    const m = messages[i] as Message;
    (m.ok ? ok : notOk).push(m);
  }
  return { ok, notOk };
}

/** Runs one batch on lane `index`; settles once it is acked. Never rejects. */
export type BatchProcessor = (batch: EmittedBatch, index: number) => void | Promise<void>;

/** The batch processor of one batcher. */
export function batchProcessor(rt: PipelineRuntime, batcher: ResolvedBatcher): BatchProcessor {
  const logger = rt.logger.child({ stage: 'batch-processor', batcher: batcher.key });
  const callbacks = rt.definition.callbacks;
  const context = rt.context;
  const shutdown = rt.shutdown.signal;
  const timeout = batcher.timeout;

  const failBatch = (messages: readonly Message[], error: unknown, index: number): Message[] => {
    logger.error(
      {
        err: error,
        index,
        count: messages.length,
        messageIds: messages.slice(0, 10).map((m) => m.id),
      },
      `handleBatch failed for a batch of ${messages.length}`,
    );
    for (const m of messages) m.status = { kind: 'error', error, callback: 'handleBatch' };
    return [...messages];
  };

  /** Splits what handleBatch returned into successful and failed, failing the missing. */
  const sort = (
    given: readonly Message[],
    returned: unknown,
    index: number,
  ): { successful: Message[]; failed: Message[] } => {
    const successful: Message[] = [];
    const failed: Message[] = [];
    if (!Array.isArray(returned)) {
      return {
        successful,
        failed: failBatch(
          given,
          new SluiceError(
            'ERR_BAD_RETURN',
            `handleBatch must return an array of messages, got ${show(returned)}`,
          ),
          index,
        ),
      };
    }
    // The fast path: handleBatch returned the messages it was given, in
    // order, which is what nearly every one does. One pass then sorts them.
    if (returned.length === given.length && sameMessages(given, returned as unknown[])) {
      const from = firstNotOk(given);
      if (from === -1) return { successful: given as Message[], failed };
      const { ok, notOk } = split(given, from);
      return { successful: ok, failed: notOk };
    }
    const bad: unknown = (returned as unknown[]).find((m) => !(m instanceof Message));
    if (bad !== undefined) {
      return {
        successful,
        failed: failBatch(
          given,
          new SluiceError('ERR_BAD_RETURN', `handleBatch must return Messages, got ${show(bad)}`),
          index,
        ),
      };
    }
    const own = new Set<Message>(given);
    const foreign = (returned as Message[]).find((m) => !own.has(m));
    if (foreign !== undefined) {
      // Acking it would ack a message this batch does not own (perhaps twice).
      return {
        successful,
        failed: failBatch(
          given,
          new SluiceError(
            'ERR_BAD_RETURN',
            `handleBatch must return Messages of its own batch, got one that is not (id ${show(foreign.id)})`,
          ),
          index,
        ),
      };
    }
    const seen = new Set<Message>();
    for (const m of returned as Message[]) {
      if (seen.has(m)) continue;
      seen.add(m);
      (m.ok ? successful : failed).push(m);
    }
    if (seen.size < given.length) {
      const missing = given.filter((m) => !seen.has(m));
      const reason = new SluiceError(
        'ERR_BAD_RETURN',
        `handleBatch received ${given.length} messages and returned ${given.length - missing.length}; the missing ones are failed`,
      );
      logger.error(
        { index, count: missing.length, messageIds: missing.slice(0, 10).map((m) => m.id) },
        reason.message,
      );
      for (const m of missing) {
        m.status = { kind: 'error', error: reason, callback: 'handleBatch' };
        failed.push(m);
      }
    }
    return { successful, failed };
  };

  const lanes: StageProgress[] = [];
  return (batch, index) => {
    const progress = (lanes[index] ??= rt.stalls.watch(
      `${rt.name}.batcher.${batcher.key}.${index}`,
    ));
    progress.take(batch.messages.length);
    const start = channels.batchProcessorStop.hasSubscribers ? performance.now() : 0;
    // Messages that failed on the way (a partitionBy error) skip handleBatch.
    const from = firstNotOk(batch.messages);
    const { ok: ready, notOk: early } =
      from === -1 ? { ok: batch.messages, notOk: [] } : split(batch.messages, from);
    if (channels.batchProcessorStart.hasSubscribers) {
      channels.batchProcessorStart.publish({
        pipeline: rt.name,
        batcher: batcher.key,
        index,
        messages: ready,
        batchInfo: batch.info,
        context,
      });
    }
    const finish = (outcome: {
      successful: Message[];
      failed: Message[];
    }): void | Promise<void> => {
      const all = early.length === 0 ? outcome.failed : [...early, ...outcome.failed];
      const done = (failed: readonly Message[]): void => {
        rt.ack(outcome.successful, failed);
        progress.release(batch.messages.length);
        if (channels.batchProcessorStop.hasSubscribers) {
          channels.batchProcessorStop.publish({
            pipeline: rt.name,
            batcher: batcher.key,
            index,
            successful: outcome.successful,
            failed,
            batchInfo: batch.info,
            durationMs: performance.now() - start,
            context,
          });
        }
      };
      if (all.length === 0) return done(all);
      const failed = runHandleFailed(rt, 'batch-processor', all, logger);
      return isThenable(failed) ? failed.then(done) : done(failed);
    };
    if (ready.length === 0) return finish({ successful: [], failed: [] });
    let returned: unknown;
    try {
      returned =
        timeout === undefined
          ? callbacks.handleBatch?.(batcher.key, ready.slice(), batch.info, context, shutdown)
          : callWithTimeout(
              (signal) =>
                callbacks.handleBatch?.(batcher.key, ready.slice(), batch.info, context, signal),
              timeout,
              shutdown,
              'handleBatch',
            );
    } catch (error) {
      return finish({ successful: [], failed: failBatch(ready, error, index) });
    }
    if (isThenable(returned)) {
      return Promise.resolve(returned).then(
        (value) => finish(sort(ready, value, index)),
        (error: unknown) => finish({ successful: [], failed: failBatch(ready, error, index) }),
      );
    }
    return finish(sort(ready, returned, index));
  };
}
