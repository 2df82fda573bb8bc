/**
 * The batcher stage: one per batcher, fed by every processor. It groups
 * messages into batches (see batches.ts), times them out, and sends each
 * closed batch to one of the batcher's batch processors.
 *
 * A batch's timer starts when the batch opens and is not reset by later
 * messages, so no message waits longer than `batchTimeout` here. When every
 * processor is gone (draining), it flushes every open batch, lets them
 * reach the batch processors, and stops.
 */
import { DemandDispatcher } from '../stage/demand-dispatcher.ts';
import { PartitionDispatcher } from '../stage/partition-dispatcher.ts';
import { producerConsumer, type Stage } from '../stage/stage.ts';
import type { SubscribeTarget } from '../stage/types.ts';
import { Batches, type Batch, type EmittedBatch } from './batches.ts';
import type { ResolvedBatcher } from './definition.ts';
import type { Message } from './message.ts';
import { partitionOf } from './partition.ts';
import type { PipelineRuntime } from './runtime.ts';
import { channels } from './telemetry.ts';

const DONE = Symbol('done');

interface Expired {
  readonly kind: 'expired';
  readonly batch: Batch;
}

export function startBatcher(
  rt: PipelineRuntime,
  batcher: ResolvedBatcher,
  processors: readonly Stage<Message, Message>[],
): Stage<Message, EmittedBatch> {
  const logger = rt.logger.child({ stage: 'batcher', batcher: batcher.key });
  const timers = new Map<Batch, NodeJS.Timeout>();
  const batches = new Batches(batcher.key, batcher.batchSize, (closed) => {
    const timer = timers.get(closed);
    if (timer !== undefined) {
      clearTimeout(timer);
      timers.delete(closed);
    }
  });
  const partitionBy = batcher.partitionBy;
  const multiple = rt.batcherNames.size > 1;
  let activeProcessors = processors.length;
  let self: Stage<Message, EmittedBatch> | undefined;

  const startTimer = (batch: Batch): void => {
    const timer = setTimeout(() => {
      timers.delete(batch);
      self?.send({ kind: 'expired', batch } satisfies Expired);
    }, batcher.batchTimeout);
    timers.set(batch, timer);
  };

  const partitionFor = (message: Message): number | undefined => {
    if (partitionBy === undefined) return undefined;
    try {
      return partitionOf(partitionBy, message, batcher.concurrency);
    } catch (error) {
      // A partitionBy bug fails the message, not the batcher: it is still
      // batched (in partition 0) and acked as failed by its batch processor.
      message.status = { kind: 'error', error, callback: 'partitionBy' };
      logger.error({ err: error, messageId: message.id }, 'partitionBy failed');
      return 0;
    }
  };

  const dispatcher =
    partitionBy === undefined
      ? new DemandDispatcher<EmittedBatch>()
      : new PartitionDispatcher<EmittedBatch>({
          partitions: batcher.concurrency,
          hash: (b) => b.info.partition ?? 0,
        });

  const subscribeTo: SubscribeTarget<Message>[] = processors.map(
    (p) =>
      [
        p,
        {
          maxDemand: batcher.maxDemand,
          minDemand: batcher.minDemand,
          cancel: 'temporary',
          ...(multiple && { partition: batcher.key }),
        },
      ] as const,
  );

  return producerConsumer<Message, EmittedBatch>(
    {
      init(stage) {
        self = stage;
      },
      handleEvents(messages) {
        const start = channels.batcherStop.hasSubscribers ? performance.now() : 0;
        if (channels.batcherStart.hasSubscribers) {
          channels.batcherStart.publish({
            pipeline: rt.name,
            batcher: batcher.key,
            messages,
            context: rt.context,
          });
        }
        const out: EmittedBatch[] = [];
        let flush = false;
        for (const message of messages) {
          const closed = batches.add(message, partitionFor(message));
          if (closed !== undefined) out.push(closed);
          else if (batches.opened !== undefined) startTimer(batches.opened);
          if (message.batchMode === 'flush') flush = true;
        }
        if (flush) out.push(...batches.flushFlagged());
        if (channels.batcherStop.hasSubscribers) {
          channels.batcherStop.publish({
            pipeline: rt.name,
            batcher: batcher.key,
            durationMs: performance.now() - start,
            context: rt.context,
          });
        }
        return out;
      },
      handleInfo(message, stage) {
        if (message === DONE) {
          void stage.stop('shutdown');
          return undefined;
        }
        const expired = batches.expire((message as Expired).batch);
        return expired === undefined ? undefined : [expired];
      },
      handleCancel(_c, _s, stage) {
        activeProcessors--;
        if (activeProcessors > 0) return undefined;
        // Every processor is gone: flush everything, let it reach the batch
        // processors, then stop.
        stage.infoAfterBuffered(DONE);
        return batches.flushAll();
      },
      terminate() {
        for (const t of timers.values()) clearTimeout(t);
        timers.clear();
      },
    },
    { name: `${rt.name}.batcher.${batcher.key}`, logger: rt.logger, subscribeTo, dispatcher },
  );
}
