/**
 * One producer instance of the Kafka producer: one member of the consumer
 * group. It buffers fetched records per partition, hands them out against
 * demand in order (per partition or per key), and tracks which offsets are
 * done. Its helpers each own one job: {@link Assignment} (rebalances),
 * {@link Committer} (commits), {@link Failures} (retry, dead letter, halt)
 * and {@link joinInBackground} (joining while the brokers are down); the
 * bookkeeping lives in the pure OffsetTracker and PartitionQueue.
 */
import { failureReason, type Acknowledger, type Logger, type Message } from '@sluice/core';
import { isBrokerError } from '../errors.ts';
import { retryDelay, type Backoff } from '../internal/retry.ts';
import { withTimeout } from '../internal/timeout.ts';
import { Assignment } from './assignment.ts';
import { isDrained, isFull } from './buffer-bounds.ts';
import type { KafkaClient, KafkaFetchedBatch, KafkaGroupConsumer } from './client.ts';
import { Committer } from './commits.ts';
import { Failures } from './failures.ts';
import { LateAcks } from './late-acks.ts';
import { memberInstanceId } from './membership.ts';
import { toMessage, type HaltedPartition } from './message.ts';
import type { MemberTransactions } from './transactions.ts';
import type { ResolvedKafkaOptions } from './options.ts';
import { topicPartition, type Entry, type PartitionState } from './partition-state.ts';
import { ProcessorSlots } from './processor-slots.ts';
import { joinInBackground } from './reconnect.ts';
import { channels, publishPause, type KafkaEventBase } from './telemetry.ts';

/** Between tries of the final commit while the client reconnects. */
const STOP_COMMIT_BACKOFF: Backoff = { initial: 100, max: 1_000 };

/** What a consumer needs from its producer module. */
export interface ConsumerContext {
  readonly pipeline: string;
  readonly index: number;
  readonly logger: Logger;
  readonly client: KafkaClient;
  readonly options: ResolvedKafkaOptions;
  /** Buffered messages per partition at which its fetching pauses. */
  readonly bound: number;
  /**
   * With the default bound, fetching pauses only once the buffer also holds
   * this many key and value bytes (two fetches' worth); undefined when the
   * user set `maxBufferedPerPartition`, which alone then decides.
   */
  readonly byteBound: number | undefined;
  /** The pipeline's `shutdownTimeout`: how long the final commit may be retried. */
  readonly shutdownTimeout: number;
  /** The processors; `routed`: the producer's `partitionBy` routes (key mode picks, processor-slots.ts). */
  readonly processors: { readonly count: number; readonly routed: boolean };
  readonly emit: (messages: readonly Message[]) => void;
}

/** One consumer-group member feeding one producer stage. */
export class KafkaConsumer {
  readonly #c: ConsumerContext;
  readonly #o: ResolvedKafkaOptions;
  readonly #base: KafkaEventBase;
  readonly #consumer: KafkaGroupConsumer;
  readonly #assignment: Assignment;
  readonly #committer: Committer;
  readonly #failures: Failures;
  readonly #acknowledger: Acknowledger;
  #rr = 0;
  #wanted = 0;
  #retryReady: Entry[] = [];
  #draining = false;
  /** When the drain began (`performance.now()`): the final commit is retried until `shutdownTimeout` after it. */
  #drainStarted = 0;
  #finished = false;
  #cancelJoin: (() => void) | undefined;
  readonly #lateAcks: LateAcks;
  readonly #slots: ProcessorSlots | undefined;
  /** Key mode's choice of processor; undefined otherwise. */
  get slots(): ProcessorSlots | undefined {
    return this.#slots;
  }

  constructor(context: ConsumerContext) {
    this.#c = context;
    const o = (this.#o = context.options);
    const base = (this.#base = {
      pipeline: context.pipeline,
      groupId: o.groupId,
      index: context.index,
    });
    const timed = <T>(operation: string, run: () => Promise<T>): Promise<T> =>
      withTimeout({ broker: 'kafka', operation, timeoutMs: o.requestTimeout }, run);
    this.#acknowledger = { ack: (_ref, ok, failed) => this.#ack(ok, failed) };
    this.#lateAcks = new LateAcks(base, context.logger);
    this.#slots =
      o.ordering === 'key' && context.processors.routed
        ? new ProcessorSlots(context.processors.count)
        : undefined;
    this.#consumer = context.client.consumer(
      {
        groupId: o.groupId,
        groupInstanceId: memberInstanceId(o.groupInstanceId, context.index),
        groupProtocol: o.groupProtocol,
        topics: o.topics,
        fromBeginning: o.fromBeginning,
        sessionTimeout: o.sessionTimeout,
        heartbeatInterval: o.heartbeatInterval,
        rebalanceTimeout: o.rebalanceTimeout,
        ...o.fetch,
      },
      {
        onBatch: (batch) => this.#onBatch(batch),
        onRebalanceStart: () => this.#assignment.onRebalanceStart(),
        onRevoke: (partitions) => this.#assignment.onRevoke(partitions),
        onAssignment: (generation, partitions) => {
          this.#rr = 0;
          this.#assignment.onAssignment(generation, partitions);
        },
        onError: (error) => this.#onError(error),
      },
    );
    const shared = { base, logger: context.logger, consumer: this.#consumer };
    this.#committer = new Committer({
      ...shared,
      instanceId: memberInstanceId(o.groupInstanceId, context.index),
      commitInterval: o.commitInterval,
      partitions: () => this.#assignment.partitions,
      timed,
    });
    this.#assignment = new Assignment({
      ...shared,
      revokeTimeout: o.revokeTimeout,
      // One key at a time in key mode. In partition mode the processor keeps
      // a partition in order, unless a failure must hold back what follows
      // it (retries, halt): then one message per partition at a time.
      unitLimit:
        o.ordering === 'key' || o.retry.maxAttempts > 1 || o.onFailure === 'halt' ? 1 : Infinity,
      commit: (reason, only) => this.#committer.commit(reason, only),
      inFlight: () => this.#inFlight(),
      draining: () => this.#draining,
      emitNow: () => this.#emitNow(),
    });
    this.#failures = new Failures({
      ...shared,
      options: o,
      client: context.client,
      timed,
      complete: (e) => this.#complete(e),
      retry: (e) => {
        this.#retryReady.push(e);
        this.#emitNow();
      },
      afterAcks: () => this.#afterAcks(),
      draining: () => this.#draining,
    });
  }

  /** Joins the group in the background, backing off while the brokers are unreachable. */
  start(): void {
    this.#cancelJoin = joinInBackground(this.#consumer, {
      stopped: () => this.#draining,
      onJoined: () => this.#committer.startInterval(),
      onError: (error) => this.#onError(error),
    });
  }

  /** This member's transactions: an exactly-once sink writes its messages' output through them. */
  get transactions(): MemberTransactions {
    return this.#committer.transactions;
  }

  /** In the group with partitions assigned, no rebalance under way (for `pipeline.health()` readiness). */
  connected(): boolean {
    return this.#assignment.assigned;
  }

  /** Demand from the producer stage: returns what can go out now. */
  handleDemand(demand: number): Message[] {
    this.#wanted += demand;
    return this.#pump();
  }

  /** Stops handing out messages; what is buffered stays uncommitted and is fetched again later. */
  prepareForDraining(): void {
    if (!this.#draining) this.#drainStarted = performance.now();
    this.#draining = true;
    this.#wanted = 0;
    this.#cancelJoin?.();
    this.#failures.cancelRetries();
    this.#retryReady = [];
    this.#consumer.pause(this.#assignment.partitions.map(topicPartition));
    // What was acked before the drain is committed now, not at the next interval.
    void this.commit('drain');
  }

  /**
   * After the pipeline stopped: commits everything acked, then leaves the
   * group. A commit refused while the client reconnects (a broker restart:
   * kafkajs rejoins the group once the broker is back) is tried again,
   * backing off, until the pipeline's `shutdownTimeout` has passed since the
   * drain began: `stop()` reports by then whatever is still uncommitted as
   * un-acked, so trying longer would only leave work running after it. A
   * commit the broker never answered (`requestTimeout`) is not tried again:
   * the broker is there but stuck, and another try would only wait as long.
   */
  async finish(): Promise<void> {
    if (this.#finished) return;
    this.#finished = true;
    this.prepareForDraining();
    this.#committer.stopInterval();
    await this.commit('stop');
    const until = this.#drainStarted + this.#c.shutdownTimeout;
    const refused = () =>
      this.#committer.pending && !isBrokerError(this.#committer.lastError, 'ERR_BROKER_TIMEOUT');
    for (let attempt = 1; refused() && performance.now() < until; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, retryDelay(attempt, STOP_COMMIT_BACKOFF)));
      await this.commit('stop');
    }
    // Each bounded by requestTimeout: a frozen broker cannot hold the stop for ever.
    await Promise.all([
      withTimeout(
        {
          broker: 'kafka',
          operation: `leave group ${this.#o.groupId}`,
          timeoutMs: this.#o.requestTimeout,
        },
        () => this.#consumer.stop(),
      ),
      this.#failures.close(),
      this.#committer.transactions.close(),
    ]);
  }

  /** Partitions halted on a failure. */
  halted(): HaltedPartition[] {
    const out: HaltedPartition[] = [];
    for (const s of this.#assignment.partitions) {
      if (s.halted === undefined) continue;
      const { entry, reason } = s.halted;
      out.push({ topic: s.topic, partition: s.partition, offset: entry.record.offset, reason });
    }
    return out;
  }

  /** Resumes halted partitions (all, or those matching): the failed message is tried again first. */
  resume(filter: { readonly topic?: string; readonly partition?: number } = {}): number {
    let n = 0;
    for (const s of this.#assignment.partitions) {
      if (s.halted === undefined) continue;
      if (filter.topic !== undefined && filter.topic !== s.topic) continue;
      if (filter.partition !== undefined && filter.partition !== s.partition) continue;
      const entry = s.halted.entry;
      s.halted = undefined;
      entry.attempts = 0;
      this.#retryReady.push(entry);
      publishPause(channels.resume, this.#base, s, 'resumed');
      this.#maybeResumeFetch(s);
      n++;
    }
    if (n > 0) this.#emitNow();
    return n;
  }

  /** Commits every partition whose contiguous acked prefix moved. One commit at a time. */
  commit(reason: 'interval' | 'rebalance' | 'drain' | 'stop'): Promise<void> {
    return this.#committer.commit(reason);
  }

  /**
   * Messages acked here whose offsets the group has not committed: those it
   * would deliver again. `stop()` adds them to its report.
   */
  unconfirmed(): number {
    let n = 0;
    for (const s of this.#assignment.partitions) n += s.tracker.ackedCount - s.confirmed;
    return n;
  }

  // ---- fetching -----------------------------------------------------------

  #onBatch(batch: KafkaFetchedBatch): void {
    const s = this.#assignment.get(batch.topic, batch.partition);
    if (s === undefined || this.#draining) return;
    const keyed = this.#o.ordering === 'key';
    let added = 0;
    for (const record of batch.records) {
      const offset = Number(record.offset);
      if (!s.tracker.register(offset)) continue;
      const key = record.key;
      const unit = keyed ? (key == null ? `n${offset}` : `k${key.toString('latin1')}`) : '';
      s.queue.push(unit, { state: s, record, offset, unit, attempts: 0, processor: 0 });
      added++;
    }
    if (channels.fetch.hasSubscribers) {
      channels.fetch.publish({
        ...this.#base,
        topic: s.topic,
        partition: s.partition,
        count: added,
        buffered: s.queue.buffered,
      });
    }
    if (channels.lag.hasSubscribers) {
      const last = batch.records.at(-1);
      const next = last === undefined ? s.tracker.lastRegistered + 1 : Number(last.offset) + 1;
      channels.lag.publish({
        ...this.#base,
        topic: s.topic,
        partition: s.partition,
        lag: Math.max(0, Number(batch.highWatermark) - next),
        highWatermark: batch.highWatermark,
      });
    }
    if (!s.fetchPaused && isFull(s.queue, this.#c.bound, this.#c.byteBound)) {
      s.fetchPaused = true;
      this.#consumer.pause([topicPartition(s)]);
      publishPause(channels.pause, this.#base, s, 'buffer-full');
    }
    if (added > 0) this.#emitNow();
  }

  #maybeResumeFetch(s: PartitionState): void {
    if (!s.fetchPaused || s.halted !== undefined || this.#draining) return;
    if (!isDrained(s.queue, this.#c.bound, this.#c.byteBound)) return;
    s.fetchPaused = false;
    this.#consumer.resume([topicPartition(s)]);
    publishPause(channels.resume, this.#base, s, 'buffer-drained');
  }

  // ---- handing out --------------------------------------------------------

  #emitNow(): void {
    const messages = this.#pump();
    if (messages.length > 0) this.#c.emit(messages);
  }

  /** Takes up to the unserved demand: retries first, then partitions in turn. */
  #pump(): Message[] {
    if (this.#draining || this.#assignment.rebalancing || this.#wanted === 0) return [];
    const entries: Entry[] = [];
    if (this.#retryReady.length > 0) {
      const ready = this.#retryReady;
      let i = 0;
      for (; i < ready.length && entries.length < this.#wanted; i++) {
        const e = ready[i] as Entry;
        if (!e.state.tracker.closed && !e.state.revoking) entries.push(e);
      }
      this.#retryReady = ready.slice(i);
    }
    const order = this.#assignment.partitions;
    let progress = true;
    while (entries.length < this.#wanted && progress && order.length > 0) {
      progress = false;
      const share = Math.max(1, Math.ceil((this.#wanted - entries.length) / order.length));
      for (let k = 0; k < order.length && entries.length < this.#wanted; k++) {
        const s = order[(this.#rr + k) % order.length] as PartitionState;
        if (s.halted !== undefined || s.revoking) continue;
        const want = Math.min(share, this.#wanted - entries.length);
        if (s.queue.take(want, entries) > 0) {
          progress = true;
          this.#maybeResumeFetch(s);
        }
      }
      this.#rr = (this.#rr + 1) % order.length;
    }
    this.#wanted -= entries.length;
    // Each entry becomes its message in place: no second array per pump.
    const out = entries as unknown as Message[];
    const slots = this.#slots;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i] as Entry;
      if (slots !== undefined) e.processor = slots.pick();
      out[i] = toMessage(e, this.#acknowledger, this);
    }
    return out;
  }

  // ---- acks -----------------------------------------------------------------

  #ack(successful: readonly Message[], failed: readonly Message[]): void | Promise<void> {
    let pending: Promise<void>[] | undefined;
    this.#slots?.acked(successful, failed);
    for (const m of successful) this.#complete(m.ackData as Entry);
    for (const m of failed) {
      const e = m.ackData as Entry;
      if (this.#lateAcks.late(e)) continue;
      const p = this.#failures.fail(e, failureReason(m.status));
      if (p !== undefined) (pending ??= []).push(p);
    }
    this.#afterAcks();
    // While draining, commit now rather than at the next interval.
    if (this.#draining && successful.length > 0) void this.commit('drain');
    if (pending !== undefined) return Promise.all(pending).then(() => undefined);
  }

  #afterAcks(): void {
    this.#lateAcks.flush();
    this.#assignment.settled();
    this.#emitNow();
  }

  #complete(e: Entry): void {
    if (this.#lateAcks.late(e)) return;
    e.state.queue.done(e.unit);
    e.state.tracker.ack(e.offset);
  }

  #inFlight(): number {
    let n = this.#retryReady.length;
    for (const s of this.#assignment.partitions) n += s.queue.inFlight;
    return n;
  }

  #onError(error: unknown): void {
    if (this.#finished) return;
    this.#c.logger.warn({ err: error }, 'kafka: consumer error; reconnecting');
    if (channels.error.hasSubscribers) channels.error.publish({ ...this.#base, error });
  }
}
