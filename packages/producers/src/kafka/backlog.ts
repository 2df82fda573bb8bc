/**
 * Kafka's backlog: per partition, the end offset minus the group's committed
 * offset (what `kafka-consumer-groups --describe` calls LAG), reported as
 * `waiting`. It is read through an admin client opened at the first poll,
 * and polled only while someone wants backlog (`context.backlog.wanted()`),
 * so nobody listening costs no broker call.
 *
 * A partition the group has committed nothing on counts from the earliest
 * offset when the producer starts `fromBeginning`, else as 0 (a new group
 * starts at the end); a committed offset below the earliest (the log was
 * truncated) counts from the earliest.
 */
import type { BacklogSample, PrepareContext } from '@sluice/core';
import { startBacklogPoller } from '../internal/backlog-poller.ts';
import { openWithTimeout, withTimeout } from '../internal/timeout.ts';
import type { KafkaGroupPartitionOffsets, KafkaMetadataClient } from './client.ts';

/** What {@link pollKafkaBacklog} needs. */
export interface KafkaBacklogOptions {
  /** Opens an admin client; it stays open until the returned stop function runs. */
  readonly openAdmin: () => Promise<KafkaMetadataClient>;
  readonly groupId: string;
  readonly topics: readonly string[];
  readonly fromBeginning: boolean;
  /** Bound on each admin call (`requestTimeout`). */
  readonly timeoutMs: number;
  readonly intervalMs?: number;
}

/** Polls the group's lag into `context.backlog`; returns the stop function. */
export function pollKafkaBacklog(context: PrepareContext, o: KafkaBacklogOptions): () => void {
  const reporter = context.backlog;
  if (reporter === undefined) return () => undefined;
  const timed = (operation: string) =>
    ({ broker: 'kafka', operation, timeoutMs: o.timeoutMs }) as const;
  let admin: Promise<KafkaMetadataClient> | undefined;
  const close = (): void => {
    const closing = admin;
    admin = undefined;
    void closing
      ?.then((a) => withTimeout(timed('disconnect (admin)'), () => a.close()))
      .catch(() => undefined);
  };
  const stopPolling = startBacklogPoller({
    reporter,
    logger: context.logger,
    what: `Kafka group ${o.groupId}`,
    ...(o.intervalMs !== undefined && { intervalMs: o.intervalMs }),
    async poll() {
      admin ??= openWithTimeout(timed('connect (admin)'), o.openAdmin, (a) => a.close());
      try {
        const client = await admin;
        const samples: BacklogSample[] = [];
        for (const topic of o.topics) {
          const offsets = await withTimeout(timed(`fetch offsets of ${topic}`), () =>
            client.fetchGroupOffsets(o.groupId, topic),
          );
          const at = Date.now();
          for (const p of offsets) {
            samples.push({
              broker: 'kafka',
              destination: topic,
              partition: p.partition,
              waiting: partitionLag(p, o.fromBeginning),
              at,
            });
          }
        }
        return samples;
      } catch (error) {
        close(); // the next poll reconnects
        throw error;
      }
    },
  });
  return () => {
    stopPolling();
    close();
  };
}

/** End offset minus committed offset, as the module doc says. */
export function partitionLag(p: KafkaGroupPartitionOffsets, fromBeginning: boolean): number {
  const high = BigInt(p.high);
  const low = BigInt(p.low);
  if (p.committed === null) return fromBeginning ? Number(high - low) : 0;
  const committed = BigInt(p.committed);
  const from = committed < low ? low : committed;
  return from >= high ? 0 : Number(high - from);
}
