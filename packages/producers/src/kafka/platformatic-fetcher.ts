/**
 * The fetch loop of the @platformatic/kafka adapter. The library's own
 * `MessagesStream` pauses all partitions or none and makes an object and a
 * closure per record; this loop asks each partition leader for the assigned,
 * unpaused partitions, one request per broker at a time on connections of
 * its own (a long poll never delays a heartbeat), and hands each partition's
 * records on as one batch (platformatic-records.ts).
 *
 * Positions: a newly assigned partition starts at the group's committed
 * offset, else at the earliest or latest offset (`fromBeginning`); a
 * partition kept across a rebalance goes on from where it was. A response
 * to a request made before the last assignment change is dropped.
 */
import type { ConnectionPool, Consumer } from '@platformatic/kafka';
import type { BrokerError } from '../errors.ts';
import { jitteredDelay, type Backoff } from '../internal/retry.ts';
import type { KafkaConsumerOptions, KafkaFetchedBatch, KafkaTopicPartition } from './client.ts';
import { hasApiId } from './platformatic-support.ts';
import { decodePartition, nextOffset, type RawRecordsBatch } from './platformatic-records.ts';

/** The parts of a fetch response the loop reads. */
interface FetchResponse {
  readonly responses: readonly {
    readonly topicId: string;
    readonly partitions: readonly {
      readonly partitionIndex: number;
      readonly errorCode: number;
      readonly highWatermark: bigint;
      readonly records?: unknown;
    }[];
  }[];
}

/** Between tries after a failed fetch or offset lookup. */
const FETCH_BACKOFF: Backoff = { initial: 200, max: 10_000 };
/** ListOffsets timestamps: the earliest and the latest offset. */
const EARLIEST = -2n;
const LATEST = -1n;

/** One partition's part of a fetch response, not decoded yet. */
interface Arrived {
  readonly topic: string;
  readonly partition: number;
  readonly high: bigint;
  readonly batches: readonly RawRecordsBatch[];
  readonly from: bigint;
}

interface Position {
  readonly topic: string;
  readonly partition: number;
  /** Next offset to fetch; undefined until looked up. */
  offset: bigint | undefined;
}

/** What a {@link Fetcher} works with. */
export interface FetcherContext {
  readonly consumer: Consumer;
  readonly pool: ConnectionPool;
  readonly options: KafkaConsumerOptions;
  readonly onBatch: (batch: KafkaFetchedBatch) => void;
  readonly onError: (error: BrokerError) => void;
  readonly toError: (error: unknown, operation: string) => BrokerError;
}

export class Fetcher {
  readonly #c: FetcherContext;
  #positions = new Map<string, Position>();
  readonly #paused = new Set<string>();
  /** Brokers with a fetch out. */
  readonly #busy = new Set<number>();
  /** Bumped when the assignment changes: older responses are dropped. */
  #version = 0;
  #running = false;
  #failures = 0;
  #retryTimer: NodeJS.Timeout | undefined;

  constructor(context: FetcherContext) {
    this.#c = context;
  }

  /** Starts fetching for these partitions (and stops for the rest). */
  assign(partitions: readonly KafkaTopicPartition[]): void {
    const next = new Map<string, Position>();
    const fresh: Position[] = [];
    for (const { topic, partition } of partitions) {
      const id = `${topic}:${partition}`;
      const kept = this.#positions.get(id);
      if (kept !== undefined && kept.offset !== undefined) {
        next.set(id, kept);
      } else {
        const p: Position = { topic, partition, offset: undefined };
        next.set(id, p);
        fresh.push(p);
      }
    }
    this.#positions = next;
    this.#version++;
    this.#running = true;
    if (fresh.length > 0) this.#lookUp(fresh);
    this.#kick();
  }

  pause(partitions: readonly KafkaTopicPartition[]): void {
    for (const p of partitions) this.#paused.add(`${p.topic}:${p.partition}`);
  }

  resume(partitions: readonly KafkaTopicPartition[]): void {
    let any = false;
    for (const p of partitions) any = this.#paused.delete(`${p.topic}:${p.partition}`) || any;
    if (any) this.#kick();
  }

  /** Stops the loop: fetches out are left to end and their records dropped. */
  stop(): void {
    this.#running = false;
    this.#version++;
    clearTimeout(this.#retryTimer);
  }

  /** Sends a fetch to every idle leader of a partition that can be fetched. */
  #kick(): void {
    if (!this.#running || this.#retryTimer !== undefined) return;
    const c = this.#c;
    const version = this.#version;
    c.consumer.metadata({ topics: [...c.options.topics] }, (error, metadata) => {
      if (error || metadata === undefined) {
        this.#failed(error, 'fetch (metadata)');
        return;
      }
      if (version !== this.#version || !this.#running) {
        if (this.#running) this.#kick();
        return;
      }
      const byLeader = new Map<number, { topicId: string; partitions: unknown[] }[]>();
      const sent = new Map<string, Position>();
      const topics = new Map<string, string>();
      for (const [id, p] of this.#positions) {
        if (p.offset === undefined || this.#paused.has(id)) continue;
        const topic = metadata.topics.get(p.topic);
        const leader = topic?.partitions[p.partition]?.leader;
        if (topic === undefined || leader === undefined || this.#busy.has(leader)) continue;
        let list = byLeader.get(leader);
        if (list === undefined) byLeader.set(leader, (list = []));
        list.push({
          topicId: topic.id,
          partitions: [
            {
              partition: p.partition,
              fetchOffset: p.offset,
              partitionMaxBytes: c.options.maxBytesPerPartition,
              currentLeaderEpoch: -1,
              lastFetchedEpoch: -1,
            },
          ],
        });
        topics.set(topic.id, p.topic);
        sent.set(id, p);
      }
      for (const [leader, list] of byLeader) {
        this.#busy.add(leader);
        c.consumer.fetch(
          {
            node: leader,
            topics: list as never,
            minBytes: c.options.minBytes,
            maxBytes: c.options.maxBytes,
            maxWaitTime: c.options.maxWaitTimeInMs,
            connectionPool: c.pool,
          },
          (fetchError, response) => {
            this.#busy.delete(leader);
            if (version !== this.#version) {
              this.#kick();
            } else if (fetchError) {
              this.#fetchFailed(fetchError, sent);
            } else {
              this.#failures = 0;
              // Positions first, then the next fetch goes out, then the
              // records are handed on while the broker prepares it.
              const arrived = this.#advance(response as FetchResponse, topics, sent);
              this.#kick();
              for (const a of arrived) {
                const batch = decodePartition(a.topic, a.partition, a.high, a.batches, a.from);
                if (batch !== undefined && batch.records.length > 0) this.#c.onBatch(batch);
              }
            }
          },
        );
      }
    });
  }

  /** Moves each partition's position past what arrived; returns what to decode, from where. */
  #advance(
    response: FetchResponse,
    topics: ReadonlyMap<string, string>,
    sent: ReadonlyMap<string, Position>,
  ): Arrived[] {
    const arrived: Arrived[] = [];
    for (const t of response.responses) {
      const topic = topics.get(t.topicId);
      if (topic === undefined) continue;
      for (const r of t.partitions) {
        const p = sent.get(`${topic}:${r.partitionIndex}`);
        if (p?.offset === undefined || r.records === undefined) continue;
        const batches = r.records as unknown as readonly RawRecordsBatch[];
        const next = nextOffset(batches);
        if (next === undefined) continue;
        arrived.push({
          topic,
          partition: p.partition,
          high: r.highWatermark,
          batches,
          from: p.offset,
        });
        p.offset = next;
      }
    }
    return arrived;
  }

  /** An out-of-range position starts again where `fromBeginning` says; anything else waits and retries. */
  #fetchFailed(error: Error, sent: ReadonlyMap<string, Position>): void {
    if (hasApiId(error, 'OFFSET_OUT_OF_RANGE')) {
      const failed = outOfRange(error, sent);
      for (const p of failed) p.offset = undefined;
      this.#lookUp(failed.length > 0 ? failed : [...sent.values()], true);
      this.#kick();
      return;
    }
    this.#failed(error, 'fetch');
  }

  #failed(error: unknown, operation: string): void {
    if (!this.#running) return;
    this.#c.onError(this.#c.toError(error, operation));
    this.#c.consumer.clearMetadata();
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(
      () => {
        this.#retryTimer = undefined;
        this.#kick();
      },
      jitteredDelay(++this.#failures, FETCH_BACKOFF),
    );
  }

  /** Sets the start offsets of `positions`: committed, else earliest or latest. */
  #lookUp(positions: readonly Position[], ignoreCommitted = false): void {
    const c = this.#c;
    if (!this.#running) return;
    const topics = groupByTopic(positions);
    const committed = ignoreCommitted
      ? Promise.resolve(new Map<string, bigint[]>())
      : c.consumer.listCommittedOffsets({ topics });
    committed
      .then(async (offsets) => {
        const missing = positions.filter((p) => (offsets.get(p.topic)?.[p.partition] ?? -1n) < 0n);
        const starts =
          missing.length === 0
            ? new Map<string, bigint[]>()
            : await c.consumer.listOffsets({
                topics: [...new Set(missing.map((p) => p.topic))],
                partitions: Object.fromEntries(
                  groupByTopic(missing).map((t) => [t.topic, t.partitions]),
                ),
                timestamp: c.options.fromBeginning ? EARLIEST : LATEST,
              });
        for (const p of positions) {
          // Revoked meanwhile: no longer this fetcher's.
          if (this.#positions.get(`${p.topic}:${p.partition}`) !== p) continue;
          const at = offsets.get(p.topic)?.[p.partition] ?? -1n;
          p.offset = at >= 0n ? at : (starts.get(p.topic)?.[p.partition] ?? 0n);
        }
        this.#kick();
      })
      .catch((error: unknown) => {
        if (!this.#running) return;
        this.#c.onError(this.#c.toError(error, 'fetch offsets'));
        setTimeout(
          () => this.#lookUp(positions, ignoreCommitted),
          jitteredDelay(++this.#failures, FETCH_BACKOFF),
        );
      });
  }
}

function groupByTopic(positions: readonly Position[]): { topic: string; partitions: number[] }[] {
  const byTopic = new Map<string, number[]>();
  for (const p of positions) {
    const list = byTopic.get(p.topic);
    if (list === undefined) byTopic.set(p.topic, [p.partition]);
    else list.push(p.partition);
  }
  return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
}

/** The positions a fetch error says are out of range, when its response tells. */
function outOfRange(error: Error, sent: ReadonlyMap<string, Position>): Position[] {
  const response = (error as { response?: FetchResponse }).response;
  if (response === undefined) return [];
  const out: Position[] = [];
  const ids = new Set<number>();
  for (const t of response.responses) {
    for (const r of t.partitions) if (r.errorCode === 1) ids.add(r.partitionIndex);
  }
  for (const p of sent.values()) if (ids.has(p.partition)) out.push(p);
  return out;
}
