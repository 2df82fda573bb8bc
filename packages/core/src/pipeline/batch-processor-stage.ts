/**
 * The batch processor stage: runs `handleBatch` on one batch at a time
 * (it asks its batcher for one batch, `maxDemand: 1`), then acks the whole
 * batch.
 *
 * Stricter than Broadway: a message `handleBatch` does not return is failed
 * and acked as failed, never left un-acked. A throw, a rejection or a
 * non-array fails the whole batch; a non-Message element fails too.
 */
import { SluiceError } from '../errors.ts';
import { show } from '../internal/parse-options.ts';
import { isThenable } from '../internal/thenable.ts';
import { consumer, type Stage } from '../stage/stage.ts';
import type { EmittedBatch } from './batches.ts';
import type { ResolvedBatcher } from './definition.ts';
import { runHandleFailed } from './handle-failed.ts';
import { Message } from './message.ts';
import type { PipelineRuntime } from './runtime.ts';
import { channels } from './telemetry.ts';

function sameMessages(given: readonly Message[], returned: readonly Message[]): boolean {
  for (let i = 0; i < given.length; i++) if (given[i] !== returned[i]) return false;
  return true;
}

export function startBatchProcessor(
  rt: PipelineRuntime,
  batcher: ResolvedBatcher,
  index: number,
  source: Stage<Message, EmittedBatch>,
): Stage<EmittedBatch, never> {
  const logger = rt.logger.child({ stage: 'batch-processor', batcher: batcher.key, index });
  const callbacks = rt.definition.callbacks;
  const context = rt.context;

  const failBatch = (messages: readonly Message[], error: unknown): Message[] => {
    logger.error(
      { err: error, count: messages.length, messageIds: messages.slice(0, 10).map((m) => m.id) },
      `handleBatch failed for a batch of ${messages.length}`,
    );
    for (const m of messages) m.status = { kind: 'error', error, callback: 'handleBatch' };
    return [...messages];
  };

  /** Splits what handleBatch returned into successful and failed, failing the missing. */
  const sort = (
    given: readonly Message[],
    returned: unknown,
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
        ),
      };
    }
    const bad: unknown = (returned as unknown[]).find((m) => !(m instanceof Message));
    if (bad !== undefined) {
      return {
        successful,
        failed: failBatch(
          given,
          new SluiceError('ERR_BAD_RETURN', `handleBatch must return Messages, got ${show(bad)}`),
        ),
      };
    }
    // Fast path: the batch came back as it went in (same messages, same
    // order), which is what nearly every handleBatch does.
    if (
      returned.length === given.length &&
      (returned === given || sameMessages(given, returned as Message[]))
    ) {
      if (given.every((m) => m.ok)) return { successful: given as Message[], failed };
      for (const m of given) (m.ok ? successful : failed).push(m);
      return { successful, failed };
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
        { count: missing.length, messageIds: missing.slice(0, 10).map((m) => m.id) },
        reason.message,
      );
      for (const m of missing) {
        m.status = { kind: 'error', error: reason, callback: 'handleBatch' };
        failed.push(m);
      }
    }
    return { successful, failed };
  };

  return consumer<EmittedBatch>(
    {
      handleEvents(events) {
        const batch = events[0] as EmittedBatch;
        const start = performance.now();
        // Messages that failed on the way (a partitionBy error) skip handleBatch.
        const ready = batch.messages.filter((m) => m.ok);
        const early =
          ready.length === batch.messages.length ? [] : batch.messages.filter((m) => !m.ok);
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
          returned = callbacks.handleBatch?.(
            batcher.key,
            ready,
            batch.info,
            context,
            rt.shutdown.signal,
          );
        } catch (error) {
          return finish({ successful: [], failed: failBatch(ready, error) });
        }
        if (isThenable(returned)) {
          return Promise.resolve(returned).then(
            (value) => finish(sort(ready, value)),
            (error: unknown) => finish({ successful: [], failed: failBatch(ready, error) }),
          );
        }
        return finish(sort(ready, returned));
      },
    },
    {
      name: `${rt.name}.batch-processor.${batcher.key}.${index}`,
      logger: rt.logger,
      subscribeTo: [
        [
          source,
          {
            maxDemand: 1,
            minDemand: 0,
            ...(batcher.partitionBy !== undefined && { partition: index }),
          },
        ],
      ],
    },
  );
}
