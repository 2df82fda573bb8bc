/**
 * Offset commits of one {@link KafkaConsumer}: the contiguous acked prefix
 * of every partition whose prefix moved, one commit at a time, every
 * `commitInterval` and when asked (rebalance, drain, stop). Once an
 * exactly-once sink writes this member's messages, its offsets are
 * committed in that sink's transactions instead ({@link MemberTransactions}),
 * never by the group's own commit, which could pass output not committed
 * yet or move a transaction's offset back.
 */
import type { Logger } from '@sluice/core';
import type { KafkaGroupConsumer } from './client.ts';
import type { PartitionState } from './partition-state.ts';
import { channels, type KafkaCommitEvent, type KafkaEventBase } from './telemetry.ts';
import { MemberTransactions, type CommittedOffsets } from './transactions.ts';

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
  /** The member's static `groupInstanceId`, if any: transactional ids derive from it. */
  readonly instanceId?: string | undefined;
}

export class Committer {
  readonly #c: CommitterContext;
  #committing: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #lastError: unknown;
  /** This member's transactions, for exactly-once sinks. */
  readonly transactions: MemberTransactions;

  constructor(context: CommitterContext) {
    this.#c = context;
    this.transactions = new MemberTransactions({
      groupId: context.base.groupId,
      instanceId: context.instanceId,
      index: context.base.index,
      commitInterval: context.commitInterval,
      logger: context.logger,
      timed: context.timed,
    });
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
    return (
      this.#c.partitions().some((s) => s.tracker.needsCommit) ||
      (this.transactions.attached && this.transactions.pending)
    );
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
    if (this.transactions.attached) return this.#commitTransaction(reason);
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

  /** Commits the open transaction with every offset it covers (a transaction is all or nothing). */
  #commitTransaction(reason: CommitReason): Promise<void> {
    const started = performance.now();
    const event = (offsets: readonly { topic: string; partition: number; offset: string }[]) => ({
      ...this.#c.base,
      offsets,
      reason,
      durationMs: performance.now() - started,
    });
    const passed = new Map(this.#c.partitions().map((s) => [s, s.tracker.passedCount]));
    this.#committing = this.transactions.commit(this.#c.partitions()).then(
      (committed: CommittedOffsets) => {
        this.#lastError = undefined;
        if (committed.length === 0) return;
        for (const [s, offset] of committed) {
          s.tracker.markCommitted(offset);
          s.confirmed = Math.max(s.confirmed, passed.get(s) ?? 0);
        }
        if (channels.commit.hasSubscribers) {
          const offsets = committed.map(([s, offset]) => ({
            topic: s.topic,
            partition: s.partition,
            offset: String(offset),
          }));
          channels.commit.publish(event(offsets));
        }
      },
      (error: unknown) => {
        this.#lastError = error;
        this.#c.logger.warn(
          { err: error, reason, transactionalId: this.transactions.transactionalId },
          'kafka: transaction commit failed; its records are sent again in the next',
        );
        if (channels.commitError.hasSubscribers) {
          channels.commitError.publish({ ...event([]), error });
        }
      },
    );
    return this.#committing.finally(() => {
      this.#committing = undefined;
    });
  }
}
