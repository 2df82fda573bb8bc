/**
 * One producer instance of the Kafka producer: one member of the consumer
 * group. It buffers fetched records per partition, hands them out against
 * demand in order (per partition or per key), tracks which offsets are done,
 * commits the contiguous prefix, retries, dead-letters or halts failures, and
 * follows rebalances. The bookkeeping lives in the pure OffsetTracker and
 * PartitionQueue; this file wires them to the client, timers and telemetry.
 */
import { Message, type Acknowledger, type Logger, type MessageStatus } from '@sluice/core';
import type {
  KafkaClient,
  KafkaFetchedBatch,
  KafkaGroupConsumer,
  KafkaFetchedRecord,
  KafkaPublisher,
  KafkaTopicPartition,
} from './client.ts';
import { openWithTimeout, withTimeout } from '../internal/timeout.ts';
import { toHeaders } from './headers.ts';
import { OffsetTracker } from './offset-tracker.ts';
import { retryDelay, type ResolvedKafkaOptions } from './options.ts';
import { PartitionQueue } from './partition-queue.ts';
import { channels, type KafkaEventBase } from './telemetry.ts';

/** What a Kafka message's `metadata` holds. */
// A type, not an interface: it must be assignable to Message's Record<string, unknown>.

export type KafkaMessageMetadata = {
  readonly topic: string;
  readonly partition: number;
  /** The record's offset, a decimal string. */
  readonly offset: string;
  readonly key: Buffer | null;
  /** Milliseconds since the epoch, a decimal string. */
  readonly timestamp: string;
  readonly headers: Readonly<Record<string, Buffer>>;
};

/** A halted partition, from `producer.halted()`. */
export interface HaltedPartition {
  readonly topic: string;
  readonly partition: number;
  /** The offset of the message it halted on. */
  readonly offset: string;
  readonly reason: unknown;
}

interface PartitionState {
  readonly id: string;
  readonly topic: string;
  readonly partition: number;
  readonly tracker: OffsetTracker;
  /** Weighed in key and value bytes, for the byte bound. */
  readonly queue: PartitionQueue<Entry>;
  fetchPaused: boolean;
  halted: { entry: Entry; reason: unknown } | undefined;
  late: number;
  /** Acks covered by a successful commit (the tracker's passedCount then). */
  confirmed: number;
}

interface Entry {
  readonly state: PartitionState;
  readonly record: KafkaFetchedRecord;
  readonly offset: number;
  readonly unit: string;
  attempt: number;
}

/** What a member needs from its producer module. */
export interface MemberContext {
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
  readonly emit: (messages: readonly Message[]) => void;
}

const tp = (topic: string, partition: number): string => `${topic}/${partition}`;

/** A buffered record's key and value bytes. */
const entryBytes = (e: Entry): number =>
  (e.record.value?.length ?? 0) + (e.record.key?.length ?? 0);

/** One consumer-group member feeding one producer stage. */
export class KafkaMember {
  readonly #c: MemberContext;
  readonly #o: ResolvedKafkaOptions;
  readonly #base: KafkaEventBase;
  readonly #unitLimit: number;
  readonly #consumer: KafkaGroupConsumer;
  readonly #partitions = new Map<string, PartitionState>();
  #order: PartitionState[] = [];
  #rr = 0;
  #wanted = 0;
  #retryReady: Entry[] = [];
  readonly #timers = new Set<NodeJS.Timeout>();
  #commitTimer: NodeJS.Timeout | undefined;
  #committing: Promise<void> | undefined;
  #draining = false;
  #finished = false;
  #rebalancing = false;
  #rebalanceStartedAt = 0;
  #rebalanceWait: { promise: Promise<void>; resolve: () => void } | undefined;
  #generation = 0;
  #publisher: Promise<KafkaPublisher> | undefined;
  #startTimer: NodeJS.Timeout | undefined;
  readonly #acknowledger: Acknowledger;
  /** Revoked partitions that got acks since the last report. */
  readonly #revokedWithLate = new Set<PartitionState>();

  constructor(context: MemberContext) {
    this.#c = context;
    this.#o = context.options;
    this.#base = { pipeline: context.pipeline, groupId: this.#o.groupId, index: context.index };
    // One key at a time in key mode. In partition mode the processor keeps a
    // partition in order, unless a failure must hold back what follows it
    // (retries, halt): then one message per partition at a time.
    this.#unitLimit =
      this.#o.ordering === 'key' || this.#o.retry.attempts > 0 || this.#o.onFailure === 'halt'
        ? 1
        : Infinity;
    this.#acknowledger = { ack: (_ref, ok, failed) => this.#ack(ok, failed) };
    this.#consumer = context.client.consumer(
      {
        groupId: this.#o.groupId,
        topics: this.#o.topics,
        fromBeginning: this.#o.fromBeginning,
        sessionTimeout: this.#o.sessionTimeout,
        heartbeatInterval: this.#o.heartbeatInterval,
        rebalanceTimeout: this.#o.rebalanceTimeout,
        ...this.#o.fetch,
      },
      {
        onBatch: (batch) => this.#onBatch(batch),
        onRebalanceStart: () => this.#onRebalanceStart(),
        onAssignment: (generation, partitions) => this.#onAssignment(generation, partitions),
        onError: (error) => this.#onError(error),
      },
    );
  }

  /** Joins the group in the background, backing off while the brokers are unreachable. */
  start(): void {
    let attempt = 0;
    const run = (): void => {
      if (this.#draining) return;
      this.#consumer.start().then(
        () => {
          this.#commitTimer = setInterval(
            // Skipped while a commit is still out: against a slow broker,
            // interval commits would otherwise queue up behind it.
            () => {
              if (this.#committing === undefined) void this.commit('interval');
            },
            this.#o.commitInterval,
          );
        },
        (error: unknown) => {
          this.#onError(error);
          const delay = Math.min(30_000, 500 * 2 ** attempt++);
          this.#startTimer = setTimeout(run, delay);
        },
      );
    };
    run();
  }

  /** Demand from the producer stage: returns what can go out now. */
  handleDemand(demand: number): Message[] {
    this.#wanted += demand;
    return this.#pump();
  }

  /** Stops handing out messages; what is buffered stays uncommitted and is fetched again later. */
  prepareForDraining(): void {
    this.#draining = true;
    this.#wanted = 0;
    clearTimeout(this.#startTimer);
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    this.#retryReady = [];
    const all = this.#order.map((s) => ({ topic: s.topic, partition: s.partition }));
    this.#consumer.pause(all);
    // What was acked before the drain is committed now, not at the next interval.
    void this.commit('drain');
  }

  /** After the pipeline stopped: commits everything acked, then leaves the group. */
  async finish(): Promise<void> {
    if (this.#finished) return;
    this.#finished = true;
    this.prepareForDraining();
    clearInterval(this.#commitTimer);
    await this.commit('stop');
    const publisher = this.#publisher;
    this.#publisher = undefined;
    // Each bounded by requestTimeout: a frozen broker cannot hold the stop for ever.
    await Promise.all([
      this.#timed(`leave group ${this.#o.groupId}`, () => this.#consumer.stop()),
      publisher?.then(
        (p) => this.#timed('disconnect the dead-letter publisher', () => p.close()),
        () => undefined,
      ),
    ]);
  }

  /** Partitions halted on a failure. */
  halted(): HaltedPartition[] {
    const out: HaltedPartition[] = [];
    for (const s of this.#order) {
      if (s.halted !== undefined) {
        out.push({
          topic: s.topic,
          partition: s.partition,
          offset: s.halted.entry.record.offset,
          reason: s.halted.reason,
        });
      }
    }
    return out;
  }

  /** Resumes halted partitions (all, or those matching): the failed message is tried again first. */
  resume(filter: { readonly topic?: string; readonly partition?: number } = {}): number {
    let n = 0;
    for (const s of this.#order) {
      if (s.halted === undefined) continue;
      if (filter.topic !== undefined && filter.topic !== s.topic) continue;
      if (filter.partition !== undefined && filter.partition !== s.partition) continue;
      const entry = s.halted.entry;
      s.halted = undefined;
      entry.attempt = 0;
      this.#retryReady.push(entry);
      this.#publishPause(channels.resume, s, 'resumed');
      this.#maybeResumeFetch(s);
      n++;
    }
    if (n > 0) this.#emitNow();
    return n;
  }

  /** Commits every partition whose contiguous acked prefix moved. One commit at a time. */
  commit(reason: 'interval' | 'rebalance' | 'drain' | 'stop'): Promise<void> {
    if (this.#committing !== undefined) {
      return this.#committing.then(() => this.commit(reason));
    }
    const offsets: { topic: string; partition: number; offset: string }[] = [];
    // With each offset, how many acks it covers (all passed at the front).
    const states: [PartitionState, number, number][] = [];
    for (const s of this.#order) {
      if (!s.tracker.needsCommit) continue;
      const offset = s.tracker.committable as number;
      offsets.push({ topic: s.topic, partition: s.partition, offset: String(offset) });
      states.push([s, offset, s.tracker.passedCount]);
    }
    if (offsets.length === 0) return Promise.resolve();
    const started = performance.now();
    this.#committing = this.#timed(`offset commit for group ${this.#o.groupId}`, () =>
      this.#consumer.commit(offsets),
    ).then(
      () => {
        for (const [s, offset, passed] of states) {
          s.tracker.markCommitted(offset);
          s.confirmed = Math.max(s.confirmed, passed);
        }
        if (channels.commit.hasSubscribers) {
          channels.commit.publish({
            ...this.#base,
            offsets,
            reason,
            durationMs: performance.now() - started,
          });
        }
      },
      (error: unknown) => {
        this.#c.logger.warn({ err: error, reason }, 'kafka: offset commit failed; retrying later');
        if (channels.commitError.hasSubscribers) {
          channels.commitError.publish({
            ...this.#base,
            offsets,
            reason,
            durationMs: performance.now() - started,
            error,
          });
        }
      },
    );
    return this.#committing.finally(() => {
      this.#committing = undefined;
    });
  }

  // ---- fetching -----------------------------------------------------------

  #onBatch(batch: KafkaFetchedBatch): void {
    const s = this.#partitions.get(tp(batch.topic, batch.partition));
    if (s === undefined || this.#draining) return;
    const keyed = this.#o.ordering === 'key';
    let added = 0;
    for (const record of batch.records) {
      const offset = Number(record.offset);
      if (!s.tracker.register(offset)) continue;
      const key = record.key;
      const unit = keyed ? (key == null ? `n${offset}` : `k${key.toString('latin1')}`) : '';
      s.queue.push(unit, { state: s, record, offset, unit, attempt: 0 });
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
    if (!s.fetchPaused && this.#full(s)) {
      s.fetchPaused = true;
      this.#consumer.pause([{ topic: s.topic, partition: s.partition }]);
      this.#publishPause(channels.pause, s, 'buffer-full');
    }
    if (added > 0) this.#emitNow();
  }

  /**
   * The buffer is at its bound. By default that takes both the count bound
   * and two fetches' worth of bytes: pausing on a count smaller than one
   * fetch would pause after nearly every fetch, and kafkajs then drops the
   * paused partitions' data already on its way and, once every partition is
   * paused, sleeps `maxWaitTimeInMs` before it fetches again.
   */
  #full(s: PartitionState): boolean {
    const byteBound = this.#c.byteBound;
    return (
      s.queue.buffered >= this.#c.bound &&
      (byteBound === undefined || s.queue.bufferedWeight >= byteBound)
    );
  }

  /** The buffer has drained to half its bound. */
  #drained(s: PartitionState): boolean {
    const byteBound = this.#c.byteBound;
    return (
      s.queue.buffered <= this.#c.bound / 2 ||
      (byteBound !== undefined && s.queue.bufferedWeight <= byteBound / 2)
    );
  }

  #maybeResumeFetch(s: PartitionState): void {
    if (!s.fetchPaused || s.halted !== undefined || this.#draining) return;
    if (!this.#drained(s)) return;
    s.fetchPaused = false;
    this.#consumer.resume([{ topic: s.topic, partition: s.partition }]);
    this.#publishPause(channels.resume, s, 'buffer-drained');
  }

  // ---- handing out --------------------------------------------------------

  #emitNow(): void {
    const messages = this.#pump();
    if (messages.length > 0) this.#c.emit(messages);
  }

  /** Takes up to the unserved demand: retries first, then partitions in turn. */
  #pump(): Message[] {
    if (this.#draining || this.#rebalancing || this.#wanted === 0) return [];
    const entries: Entry[] = [];
    if (this.#retryReady.length > 0) {
      const ready = this.#retryReady;
      let i = 0;
      for (; i < ready.length && entries.length < this.#wanted; i++) {
        const e = ready[i] as Entry;
        if (!e.state.tracker.closed) entries.push(e);
      }
      this.#retryReady = ready.slice(i);
    }
    const order = this.#order;
    let progress = true;
    while (entries.length < this.#wanted && progress && order.length > 0) {
      progress = false;
      const share = Math.max(1, Math.ceil((this.#wanted - entries.length) / order.length));
      for (let k = 0; k < order.length && entries.length < this.#wanted; k++) {
        const s = order[(this.#rr + k) % order.length] as PartitionState;
        if (s.halted !== undefined) continue;
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
    for (let i = 0; i < entries.length; i++) out[i] = this.#toMessage(entries[i] as Entry);
    return out;
  }

  #toMessage(e: Entry): Message {
    const { record, state } = e;
    const metadata: KafkaMessageMetadata = {
      topic: state.topic,
      partition: state.partition,
      offset: record.offset,
      key: record.key ?? null,
      timestamp: record.timestamp,
      headers: toHeaders(record.headers),
    };
    return new Message({
      data: record.value,
      id: `${state.id}/${record.offset}`,
      acknowledger: this.#acknowledger,
      ackRef: this,
      ackData: e,
      metadata,
    }).putBatchKey(state.id);
  }

  // ---- acks -----------------------------------------------------------------

  #ack(successful: readonly Message[], failed: readonly Message[]): void | Promise<void> {
    let pending: Promise<void>[] | undefined;
    for (const m of successful) this.#complete(m.ackData as Entry);
    for (const m of failed) {
      const p = this.#fail(m.ackData as Entry, reasonOf(m.status));
      if (p !== undefined) (pending ??= []).push(p);
    }
    this.#afterAcks();
    // While draining, commit now rather than at the next interval.
    if (this.#draining && successful.length > 0) void this.commit('drain');
    if (pending !== undefined) return Promise.all(pending).then(() => undefined);
  }

  /**
   * Messages acked here whose offsets the group has not committed: those it
   * would deliver again. `stop()` adds them to its report.
   */
  unconfirmed(): number {
    let n = 0;
    for (const s of this.#order) n += s.tracker.ackedCount - s.confirmed;
    return n;
  }

  #afterAcks(): void {
    this.#flushLate();
    if (this.#rebalanceWait !== undefined && this.#inFlight() === 0) this.#rebalanceWait.resolve();
    this.#emitNow();
  }

  #complete(e: Entry): void {
    const s = e.state;
    if (s.tracker.closed) {
      s.late++;
      this.#revokedWithLate.add(s);
      return;
    }
    s.queue.done(e.unit);
    s.tracker.ack(e.offset);
  }

  #fail(e: Entry, reason: unknown): Promise<void> | undefined {
    const s = e.state;
    if (s.tracker.closed) {
      s.late++;
      this.#revokedWithLate.add(s);
      return undefined;
    }
    if (e.attempt < this.#o.retry.attempts) {
      e.attempt++;
      const delayMs = retryDelay(e.attempt, this.#o.retry);
      if (channels.retry.hasSubscribers) {
        channels.retry.publish({
          ...this.#base,
          topic: s.topic,
          partition: s.partition,
          offset: e.record.offset,
          attempt: e.attempt,
          delayMs,
          error: reason,
        });
      }
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        if (s.tracker.closed || this.#draining) return;
        this.#retryReady.push(e);
        this.#emitNow();
      }, delayMs);
      this.#timers.add(timer);
      return undefined;
    }
    switch (this.#o.onFailure) {
      case 'skip':
        this.#complete(e);
        return undefined;
      case 'halt':
        this.#halt(e, reason);
        return undefined;
      case 'dlq':
        return this.#deadLetter(e, reason);
    }
  }

  #halt(e: Entry, reason: unknown): void {
    const s = e.state;
    s.halted = { entry: e, reason };
    if (!s.fetchPaused) {
      s.fetchPaused = true;
      this.#consumer.pause([{ topic: s.topic, partition: s.partition }]);
    }
    this.#publishPause(channels.pause, s, 'halted');
    this.#c.logger.warn(
      { err: reason, topic: s.topic, partition: s.partition, offset: e.record.offset },
      `kafka: partition ${s.id} halted on offset ${e.record.offset}; call resume() to go on`,
    );
    if (channels.halt.hasSubscribers) {
      channels.halt.publish({
        ...this.#base,
        topic: s.topic,
        partition: s.partition,
        offset: e.record.offset,
        reason,
      });
    }
  }

  async #deadLetter(e: Entry, reason: unknown): Promise<void> {
    const s = e.state;
    const dlqTopic = this.#o.dlqTopic as string;
    const started = performance.now();
    const published = (failure?: { readonly error: unknown }): void => {
      if (!channels.dlq.hasSubscribers) return;
      channels.dlq.publish({
        ...this.#base,
        topic: s.topic,
        partition: s.partition,
        offset: e.record.offset,
        dlqTopic,
        durationMs: performance.now() - started,
        ...failure,
      });
    };
    try {
      this.#publisher ??= openWithTimeout(
        {
          broker: 'kafka',
          operation: 'connect (dead-letter publisher)',
          timeoutMs: this.#o.requestTimeout,
        },
        () => this.#c.client.publisher(),
        (p) => p.close(),
      );
      const publisher = await this.#publisher.catch((error: unknown) => {
        this.#publisher = undefined;
        throw error;
      });
      await this.#timed(`send to dead-letter topic ${dlqTopic}`, () =>
        publisher.send(dlqTopic, [
          {
            key: e.record.key ?? null,
            value: e.record.value,
            headers: {
              ...toHeaders(e.record.headers),
              'sluice-error': describe(reason),
              'sluice-topic': s.topic,
              'sluice-partition': String(s.partition),
              'sluice-offset': e.record.offset,
            },
          },
        ]),
      );
      published();
      this.#complete(e);
    } catch (error) {
      published({ error });
      if (s.tracker.closed) return;
      // Never commit past a message that reached no dead-letter topic.
      this.#halt(e, error);
    }
    this.#afterAcks();
  }

  /** One call to Kafka, bounded by `requestTimeout` (ERR_BROKER_TIMEOUT past it). */
  #timed<T>(operation: string, run: () => Promise<T>): Promise<T> {
    return withTimeout({ broker: 'kafka', operation, timeoutMs: this.#o.requestTimeout }, run);
  }

  #flushLate(): void {
    for (const s of this.#revokedWithLate) {
      this.#revokedWithLate.delete(s);
      if (s.late === 0) continue;
      const count = s.late;
      s.late = 0;
      this.#c.logger.debug(
        { topic: s.topic, partition: s.partition, count },
        'kafka: dropped acks for a partition no longer owned',
      );
      if (channels.lateAck.hasSubscribers) {
        channels.lateAck.publish({ ...this.#base, topic: s.topic, partition: s.partition, count });
      }
    }
  }

  #inFlight(): number {
    let n = this.#retryReady.length;
    for (const s of this.#order) n += s.queue.inFlight;
    return n;
  }

  // ---- rebalances -----------------------------------------------------------

  #onRebalanceStart(): Promise<void> {
    if (this.#rebalanceWait !== undefined) return this.#rebalanceWait.promise;
    this.#rebalancing = true;
    this.#rebalanceStartedAt = performance.now();
    if (channels.rebalance.hasSubscribers) {
      channels.rebalance.publish({
        ...this.#base,
        phase: 'start',
        generation: this.#generation,
        partitions: this.#order.map((s) => ({ topic: s.topic, partition: s.partition })),
        durationMs: 0,
      });
    }
    void this.commit('rebalance');
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    const wait = { promise, resolve };
    this.#rebalanceWait = wait;
    // Wait for in-flight messages, at most revokeTimeout, then commit what is contiguous.
    const timer = setTimeout(resolve, this.#o.revokeTimeout);
    if (this.#inFlight() === 0) resolve();
    return promise.then(() => {
      clearTimeout(timer);
      if (this.#rebalanceWait === wait) this.#rebalanceWait = undefined;
      return this.commit('rebalance');
    });
  }

  #onAssignment(generation: number, partitions: readonly KafkaTopicPartition[]): void {
    this.#generation = generation;
    const durationMs = this.#rebalancing ? performance.now() - this.#rebalanceStartedAt : 0;
    const next = new Set(partitions.map((p) => tp(p.topic, p.partition)));
    const revoked: KafkaTopicPartition[] = [];
    let dropped = 0;
    let inFlight = 0;
    for (const s of this.#order) {
      if (next.has(s.id)) {
        s.tracker.generation = generation;
        continue;
      }
      dropped += s.queue.clear();
      inFlight += s.queue.inFlight + (s.halted === undefined ? 0 : 1);
      s.tracker.close();
      this.#partitions.delete(s.id);
      revoked.push({ topic: s.topic, partition: s.partition });
    }
    const assigned: KafkaTopicPartition[] = [];
    for (const p of partitions) {
      const id = tp(p.topic, p.partition);
      if (this.#partitions.has(id)) continue;
      this.#partitions.set(id, {
        id,
        topic: p.topic,
        partition: p.partition,
        tracker: new OffsetTracker(p.topic, p.partition, generation),
        queue: new PartitionQueue<Entry>(this.#unitLimit, entryBytes),
        fetchPaused: false,
        halted: undefined,
        late: 0,
        confirmed: 0,
      });
      assigned.push(p);
    }
    this.#order = [...this.#partitions.values()];
    this.#rr = 0;
    // Say every partition's state again: pauses do not survive a kafkajs
    // restart, yet do survive a rebalance, even for a partition that moved
    // away while paused and now comes back with an empty buffer.
    const paused: KafkaTopicPartition[] = [];
    const active: KafkaTopicPartition[] = [];
    for (const s of this.#order) {
      (s.fetchPaused || this.#draining ? paused : active).push({
        topic: s.topic,
        partition: s.partition,
      });
    }
    this.#consumer.pause(paused);
    this.#consumer.resume(active);
    this.#rebalancing = false;
    this.#rebalanceWait?.resolve();
    if (revoked.length > 0 && channels.rebalance.hasSubscribers) {
      channels.rebalance.publish({
        ...this.#base,
        phase: 'revoked',
        generation,
        partitions: revoked,
        durationMs,
        dropped,
        inFlight,
      });
    }
    if (channels.rebalance.hasSubscribers) {
      channels.rebalance.publish({
        ...this.#base,
        phase: 'assigned',
        generation,
        partitions: this.#order.map((s) => ({ topic: s.topic, partition: s.partition })),
        durationMs,
      });
    }
    if (revoked.length > 0) {
      this.#c.logger.info(
        { revoked, dropped, inFlight, generation },
        'kafka: partitions revoked; their buffered messages were dropped',
      );
    }
    this.#emitNow();
  }

  #onError(error: unknown): void {
    if (this.#finished) return;
    this.#c.logger.warn({ err: error }, 'kafka: consumer error; reconnecting');
    if (channels.error.hasSubscribers) channels.error.publish({ ...this.#base, error });
  }

  #publishPause(
    channel: typeof channels.pause,
    s: PartitionState,
    reason: 'buffer-full' | 'halted' | 'buffer-drained' | 'resumed',
  ): void {
    if (channel.hasSubscribers) {
      channel.publish({
        ...this.#base,
        topic: s.topic,
        partition: s.partition,
        reason,
        buffered: s.queue.buffered,
      });
    }
  }
}

function reasonOf(status: MessageStatus): unknown {
  if (status.kind === 'failed') return status.reason;
  if (status.kind === 'error') return status.error;
  return undefined;
}

function describe(reason: unknown): string {
  if (reason instanceof Error) return `${reason.name}: ${reason.message}`;
  return typeof reason === 'string' ? reason : (JSON.stringify(reason) ?? String(reason));
}
