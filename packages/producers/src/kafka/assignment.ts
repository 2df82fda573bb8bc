/**
 * The partitions one {@link KafkaConsumer} owns, and how they change in a
 * rebalance: at the start it stops handing out, commits, and waits (at most
 * `revokeTimeout`) for in-flight messages; on the new assignment it keeps
 * what it still owns, drops the buffers of what it lost, and takes on new
 * partitions from the group's committed offsets. Under KIP-848 only the
 * partitions that move are revoked ({@link Assignment.onRevoke}); the rest
 * never stop.
 */
import type { Logger } from '@sluice/core';
import type { KafkaGroupConsumer, KafkaTopicPartition } from './client.ts';
import type { CommitReason } from './commits.ts';
import { newPartitionState, topicPartition, tp, type PartitionState } from './partition-state.ts';
import { channels, type KafkaEventBase } from './telemetry.ts';

/** What the assignment needs from its consumer. */
export interface AssignmentContext {
  readonly base: KafkaEventBase;
  readonly logger: Logger;
  readonly consumer: KafkaGroupConsumer;
  readonly revokeTimeout: number;
  /** Messages of one unit out at once (see PartitionQueue). */
  readonly unitLimit: number;
  readonly commit: (reason: CommitReason, only?: ReadonlySet<PartitionState>) => Promise<void>;
  /** Messages handed out and not acked yet, retries waiting included. */
  readonly inFlight: () => number;
  readonly draining: () => boolean;
  /** Hands out what the demand allows now. */
  readonly emitNow: () => void;
}

export class Assignment {
  readonly #c: AssignmentContext;
  readonly #partitions = new Map<string, PartitionState>();
  #order: PartitionState[] = [];
  #rebalancing = false;
  #rebalanceStartedAt = 0;
  #rebalanceWait: { promise: Promise<void>; resolve: () => void } | undefined;
  #generation = 0;
  /** Revocations of some partitions waiting for their in-flight messages. */
  readonly #revokeWaits = new Set<() => boolean>();
  #everAssigned = false;

  constructor(context: AssignmentContext) {
    this.#c = context;
  }

  /** The partitions owned now, in the order they are served. */
  get partitions(): readonly PartitionState[] {
    return this.#order;
  }

  /** True once the group gave this member an assignment (even an empty one) and no rebalance is under way. */
  get assigned(): boolean {
    return this.#everAssigned && !this.#rebalancing;
  }

  /** True from the start of a rebalance until the new assignment. */
  get rebalancing(): boolean {
    return this.#rebalancing;
  }

  /** The partition `topic/partition`, if owned. */
  get(topic: string, partition: number): PartitionState | undefined {
    return this.#partitions.get(tp(topic, partition));
  }

  /** After acks: a rebalance waiting for in-flight messages may go on. */
  settled(): void {
    if (this.#rebalanceWait !== undefined && this.#c.inFlight() === 0) {
      this.#rebalanceWait.resolve();
    }
    for (const done of this.#revokeWaits) if (done()) this.#revokeWaits.delete(done);
  }

  /**
   * Only `partitions` are being taken away (KIP-848): the others keep
   * going. Stops fetching and handing them out, drops their buffers, waits
   * at most `revokeTimeout` for their in-flight messages, then commits
   * them alone. `onAssignment` closes them.
   */
  async onRevoke(partitions: readonly KafkaTopicPartition[]): Promise<void> {
    const states = new Set<PartitionState>();
    for (const p of partitions) {
      const s = this.get(p.topic, p.partition);
      if (s === undefined || s.revoking) continue;
      s.revoking = true;
      s.queue.clear();
      states.add(s);
    }
    if (states.size === 0) return;
    this.#c.consumer.pause([...states].map(topicPartition));
    const inFlight = () => {
      let n = 0;
      for (const s of states) n += s.queue.inFlight;
      return n;
    };
    await new Promise<void>((resolve) => {
      if (inFlight() === 0) return resolve();
      const timer = setTimeout(() => {
        this.#revokeWaits.delete(done);
        resolve();
      }, this.#c.revokeTimeout);
      const done = () => {
        if (inFlight() > 0) return false;
        clearTimeout(timer);
        resolve();
        return true;
      };
      this.#revokeWaits.add(done);
    });
    await this.#c.commit('rebalance', states);
  }

  onRebalanceStart(): Promise<void> {
    if (this.#rebalanceWait !== undefined) return this.#rebalanceWait.promise;
    this.#rebalancing = true;
    this.#rebalanceStartedAt = performance.now();
    if (channels.rebalance.hasSubscribers) {
      channels.rebalance.publish({
        ...this.#c.base,
        phase: 'start',
        generation: this.#generation,
        partitions: this.#order.map(topicPartition),
        durationMs: 0,
      });
    }
    void this.#c.commit('rebalance');
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    const wait = { promise, resolve };
    this.#rebalanceWait = wait;
    // Wait for in-flight messages, at most revokeTimeout, then commit what is contiguous.
    const timer = setTimeout(resolve, this.#c.revokeTimeout);
    if (this.#c.inFlight() === 0) resolve();
    return promise.then(() => {
      clearTimeout(timer);
      if (this.#rebalanceWait === wait) this.#rebalanceWait = undefined;
      return this.#c.commit('rebalance');
    });
  }

  onAssignment(generation: number, partitions: readonly KafkaTopicPartition[]): void {
    this.#generation = generation;
    this.#everAssigned = true;
    const durationMs = this.#rebalancing ? performance.now() - this.#rebalanceStartedAt : 0;
    const { revoked, dropped, inFlight } = this.#revokeAllBut(generation, partitions);
    for (const p of partitions) {
      const id = tp(p.topic, p.partition);
      if (this.#partitions.has(id)) continue;
      this.#partitions.set(
        id,
        newPartitionState(p.topic, p.partition, generation, this.#c.unitLimit),
      );
    }
    this.#order = [...this.#partitions.values()];
    this.#restatePauses();
    this.#rebalancing = false;
    this.#rebalanceWait?.resolve();
    if (channels.rebalance.hasSubscribers) {
      if (revoked.length > 0) {
        channels.rebalance.publish({
          ...this.#c.base,
          phase: 'revoked',
          generation,
          partitions: revoked,
          durationMs,
          dropped,
          inFlight,
        });
      }
      channels.rebalance.publish({
        ...this.#c.base,
        phase: 'assigned',
        generation,
        partitions: this.#order.map(topicPartition),
        durationMs,
      });
    }
    if (revoked.length > 0) {
      this.#c.logger.info(
        { revoked, dropped, inFlight, generation },
        'kafka: partitions revoked; their buffered messages were dropped',
      );
    }
    this.#c.emitNow();
  }

  /** Closes the partitions not in `partitions`; the rest move to `generation`. */
  #revokeAllBut(generation: number, partitions: readonly KafkaTopicPartition[]) {
    const next = new Set(partitions.map((p) => tp(p.topic, p.partition)));
    const revoked: KafkaTopicPartition[] = [];
    let dropped = 0;
    let inFlight = 0;
    for (const s of this.#order) {
      // One being revoked lost its buffer: if it stays, it starts afresh.
      if (next.has(s.id) && !s.revoking) {
        s.tracker.generation = generation;
        continue;
      }
      dropped += s.queue.clear();
      inFlight += s.queue.inFlight + (s.halted === undefined ? 0 : 1);
      s.tracker.close();
      this.#partitions.delete(s.id);
      revoked.push(topicPartition(s));
    }
    return { revoked, dropped, inFlight };
  }

  /**
   * Says every partition's state again: pauses do not survive a kafkajs
   * restart, yet do survive a rebalance, even for a partition that moved
   * away while paused and now comes back with an empty buffer.
   */
  #restatePauses(): void {
    const paused: KafkaTopicPartition[] = [];
    const active: KafkaTopicPartition[] = [];
    const draining = this.#c.draining();
    for (const s of this.#order) {
      (s.fetchPaused || draining ? paused : active).push(topicPartition(s));
    }
    this.#c.consumer.pause(paused);
    this.#c.consumer.resume(active);
  }
}
