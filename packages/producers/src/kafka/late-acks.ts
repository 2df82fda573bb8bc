/**
 * Acks for partitions this member no longer owns: dropped (the new owner
 * reads those messages again), counted, and reported once per batch of acks
 * on `sluice:kafka:late-ack` and at debug.
 */
import type { Logger } from '@sluice/core';
import type { Entry, PartitionState } from './partition-state.ts';
import { channels, type KafkaEventBase } from './telemetry.ts';

export class LateAcks {
  readonly #base: KafkaEventBase;
  readonly #logger: Logger;
  /** Revoked partitions that got acks since the last report. */
  readonly #pending = new Set<PartitionState>();

  constructor(base: KafkaEventBase, logger: Logger) {
    this.#base = base;
    this.#logger = logger;
  }

  /** True (and counted) when `e`'s partition was revoked: its ack is dropped. */
  late(e: Entry): boolean {
    const s = e.state;
    if (!s.tracker.closed) return false;
    s.late++;
    this.#pending.add(s);
    return true;
  }

  /** Reports what was counted since the last call. */
  flush(): void {
    for (const s of this.#pending) {
      this.#pending.delete(s);
      if (s.late === 0) continue;
      const count = s.late;
      s.late = 0;
      this.#logger.debug(
        { topic: s.topic, partition: s.partition, count },
        'kafka: dropped acks for a partition no longer owned',
      );
      if (channels.lateAck.hasSubscribers) {
        channels.lateAck.publish({ ...this.#base, topic: s.topic, partition: s.partition, count });
      }
    }
  }
}
