/**
 * Offset commits of one {@link KafkaConsumer}: the contiguous acked prefix
 * of every partition whose prefix moved, one commit at a time, every
 * `commitInterval` and when asked (rebalance, drain, stop).
 */
import type { Logger } from '@sluice/core';
import type { KafkaGroupConsumer } from './client.ts';
import type { PartitionState } from './partition-state.ts';
import { channels, type KafkaCommitEvent, type KafkaEventBase } from './telemetry.ts';

/** Why a commit was made. */
export type CommitReason = KafkaCommitEvent['reason'];

/** What the committer needs from its consumer. */
export interface CommitterContext {
  readonly base: KafkaEventBase;
  readonly logger: Logger;
  readonly consumer: KafkaGroupConsumer;
  readonly commitInterval: number;
  /** The partitions owned now. */
  readonly partitions: () => readonly PartitionState[];
  /** One call to Kafka, bounded by `requestTimeout`. */
  readonly timed: <T>(operation: string, run: () => Promise<T>) => Promise<T>;
}

export class Committer {
  readonly #c: CommitterContext;
  #committing: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #lastError: unknown;

  constructor(context: CommitterContext) {
    this.#c = context;
  }

  /** Commits every `commitInterval` from now on. */
  startInterval(): void {
    clearInterval(this.#timer);
    this.#timer = setInterval(() => {
      // Skipped while a commit is still out: against a slow broker,
      // interval commits would otherwise queue up behind it.
      if (this.#committing === undefined) void this.commit('interval');
    }, this.#c.commitInterval);
  }

  stopInterval(): void {
    clearInterval(this.#timer);
  }

  /** True while some owned partition's contiguous acked prefix is not committed yet. */
  get pending(): boolean {
    return this.#c.partitions().some((s) => s.tracker.needsCommit);
  }

  /** Why the last commit failed; undefined once one succeeds. */
  get lastError(): unknown {
    return this.#lastError;
  }

  /**
   * Commits every partition whose contiguous acked prefix moved, or only
   * those of `only` (partitions being revoked). One commit at a time.
   */
  commit(reason: CommitReason, only?: ReadonlySet<PartitionState>): Promise<void> {
    if (this.#committing !== undefined) {
      return this.#committing.then(() => this.commit(reason, only));
    }
    const offsets: { topic: string; partition: number; offset: string }[] = [];
    // With each offset, how many acks it covers (all passed at the front).
    const states: [PartitionState, number, number][] = [];
    for (const s of only ?? this.#c.partitions()) {
      if (!s.tracker.needsCommit) continue;
      const offset = s.tracker.committable as number;
      offsets.push({ topic: s.topic, partition: s.partition, offset: String(offset) });
      states.push([s, offset, s.tracker.passedCount]);
    }
    if (offsets.length === 0) return Promise.resolve();
    const started = performance.now();
    const event = () => ({
      ...this.#c.base,
      offsets,
      reason,
      durationMs: performance.now() - started,
    });
    this.#committing = this.#c
      .timed(`offset commit for group ${this.#c.base.groupId}`, () =>
        this.#c.consumer.commit(offsets),
      )
      .then(
        () => {
          this.#lastError = undefined;
          for (const [s, offset, passed] of states) {
            s.tracker.markCommitted(offset);
            s.confirmed = Math.max(s.confirmed, passed);
          }
          if (channels.commit.hasSubscribers) channels.commit.publish(event());
        },
        (error: unknown) => {
          this.#lastError = error;
          this.#c.logger.warn(
            { err: error, reason },
            'kafka: offset commit failed; retrying later',
          );
          if (channels.commitError.hasSubscribers) {
            channels.commitError.publish({ ...event(), error });
          }
        },
      );
    return this.#committing.finally(() => {
      this.#committing = undefined;
    });
  }
}
