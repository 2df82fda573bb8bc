/**
 * {@link KafkaGroupConsumer} over a @platformatic/kafka `Consumer`: the
 * library keeps the group membership (join, sync, heartbeats, rejoining
 * when the group rebalances), and {@link Fetcher} fetches. A rebalance shows
 * as the library's `consumer:group:rebalance` event and the new assignment
 * as `consumer:group:join`; like kafkajs, the classic protocol here rejoins
 * at once, so a revoke callback cannot hold it back. Under the KIP-848
 * consumer protocol ({@link IncrementalAssignment}) only the partitions that
 * move are revoked, each change after a heartbeat. When the library gives
 * up rejoining, this class joins again, backing off (jittered) from 1 s up
 * to 30 s.
 */
import type { ConnectionPool, Consumer } from '@platformatic/kafka';
import { InvalidOptionsError } from '@sluice/core';
import { BrokerError } from '../errors.ts';
import { jitteredDelay, type Backoff } from '../internal/retry.ts';
import type {
  KafkaConsumerHandlers,
  KafkaConsumerOptions,
  KafkaGroupConsumer,
  KafkaTopicPartition,
} from './client.ts';
import { Fetcher } from './platformatic-fetcher.ts';
import {
  chooseProtocol,
  IncrementalAssignment,
  joinConsumerProtocol,
} from './platformatic-membership.ts';
import {
  connectionOptions,
  loadPlatformatic,
  type PlatformaticConnection,
} from './platformatic-support.ts';

/** Between joins after the library gave up. */
const REJOIN_BACKOFF: Backoff = { initial: 1_000, max: 30_000 };

export class PlatformaticGroupConsumer implements KafkaGroupConsumer {
  readonly #connection: PlatformaticConnection;
  readonly #options: KafkaConsumerOptions;
  readonly #handlers: KafkaConsumerHandlers;
  readonly #toError: (error: unknown, operation: string) => BrokerError;
  #consumer: Consumer | undefined;
  #pool: ConnectionPool | undefined;
  #fetcher: Fetcher | undefined;
  #lastError: BrokerError | undefined;
  #generation = 0;
  #joined = false;
  #stopped = false;
  #rejoins = 0;
  #rejoinTimer: NodeJS.Timeout | undefined;
  #stopping: Promise<void> | undefined;

  constructor(
    connection: PlatformaticConnection,
    options: KafkaConsumerOptions,
    handlers: KafkaConsumerHandlers,
    toError: (error: unknown, operation: string) => BrokerError,
  ) {
    this.#connection = connection;
    this.#options = options;
    this.#handlers = handlers;
    this.#toError = toError;
  }

  async start(): Promise<void> {
    if (this.#stopped) return;
    const lib = loadPlatformatic();
    const o = this.#options;
    const base = connectionOptions(this.#connection);
    let protocol: 'classic' | 'consumer';
    try {
      protocol = await chooseProtocol(lib, base, o.groupId, o.groupProtocol);
    } catch (error) {
      // The brokers refuse an explicit 'consumer': say so as it is.
      if (error instanceof InvalidOptionsError) throw error;
      throw this.#toError(error, 'start');
    }
    const consumer = new lib.Consumer({
      ...(base as { clientId: string; bootstrapBrokers: string[] }),
      groupId: o.groupId,
      ...(o.groupInstanceId === undefined ? {} : { groupInstanceId: o.groupInstanceId }),
      groupProtocol: protocol,
      sessionTimeout: o.sessionTimeout,
      heartbeatInterval: o.heartbeatInterval,
      rebalanceTimeout: o.rebalanceTimeout,
      autocommit: false,
      minBytes: o.minBytes,
      maxBytes: o.maxBytes,
      maxWaitTime: o.maxWaitTimeInMs,
      retries: 3,
      retryDelay: 250,
    });
    const pool = new lib.ConnectionPool(this.#connection.clientId, base);
    const fetcher = new Fetcher({
      consumer,
      pool,
      options: o,
      onBatch: (batch) => this.#handlers.onBatch(batch),
      onError: (error) => this.#report(error),
      toError: this.#toError,
    });
    this.#consumer = consumer;
    this.#pool = pool;
    this.#fetcher = fetcher;
    consumer.on('consumer:group:rebalance', () => this.#rebalanceStart());
    const incremental =
      protocol === 'consumer'
        ? new IncrementalAssignment(this.#handlers, (p) => fetcher.assign(p))
        : undefined;
    if (incremental !== undefined) {
      consumer.on('consumer:heartbeat:end', () => incremental.update(consumer.assignments));
    }
    consumer.on('consumer:group:join', (event) => {
      this.#joined = true;
      this.#rejoins = 0;
      this.#lastError = undefined;
      if (incremental !== undefined) return; // assignments come with heartbeats
      const partitions: KafkaTopicPartition[] = [];
      for (const a of event.assignments ?? []) {
        for (const partition of a.partitions) partitions.push({ topic: a.topic, partition });
      }
      this.#handlers.onAssignment(++this.#generation, partitions);
      fetcher.assign(partitions);
    });
    consumer.on('consumer:heartbeat:error', (event) => {
      this.#report(this.#toError(event.error, 'heartbeat'));
    });
    // The library emits 'error' when a rejoin failed for good: join again.
    consumer.on('error', (error: unknown) => {
      this.#joined = false;
      this.#report(this.#toError(error, 'rejoin'));
      this.#rebalanceStart();
      this.#scheduleRejoin(consumer);
    });
    try {
      for (const topic of o.topics) consumer.topics.track(topic);
      if (protocol === 'consumer') await joinConsumerProtocol(consumer, o.topics);
      else await consumer.joinGroup({});
    } catch (error) {
      this.#consumer = undefined;
      fetcher.stop();
      await Promise.all([closeConsumer(consumer), closePool(pool)]);
      throw this.#toError(error, 'start');
    }
  }

  pause(partitions: readonly KafkaTopicPartition[]): void {
    this.#fetcher?.pause(partitions);
  }

  resume(partitions: readonly KafkaTopicPartition[]): void {
    this.#fetcher?.resume(partitions);
  }

  async commit(
    offsets: readonly {
      readonly topic: string;
      readonly partition: number;
      readonly offset: string;
    }[],
  ): Promise<void> {
    const consumer = this.#consumer;
    if (consumer === undefined || !this.#joined) {
      const why = this.#lastError;
      throw new BrokerError(
        why?.code ?? 'ERR_BROKER_REQUEST',
        'kafka',
        why === undefined
          ? 'Kafka commit not sent: the consumer is not in the group'
          : `Kafka commit not sent: the consumer is rejoining after: ${why.message}`,
        { cause: why },
      );
    }
    try {
      await consumer.commit({
        offsets: offsets.map((o) => ({
          topic: o.topic,
          partition: o.partition,
          offset: BigInt(o.offset),
          leaderEpoch: -1,
        })),
      });
    } catch (error) {
      throw this.#toError(error, 'commit');
    }
  }

  stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#rejoinTimer);
    this.#fetcher?.stop();
    const consumer = this.#consumer;
    const pool = this.#pool;
    this.#joined = false;
    this.#stopping ??= Promise.all([
      consumer === undefined ? undefined : closeConsumer(consumer),
      pool === undefined ? undefined : closePool(pool),
    ]).then(() => undefined);
    return this.#stopping;
  }

  #report(error: BrokerError): void {
    this.#lastError = error;
    this.#handlers.onError(error);
  }

  #rebalanceStart(): void {
    try {
      const waiting = this.#handlers.onRebalanceStart();
      // The library rejoins at once; a handler promise cannot hold it back.
      if (waiting !== undefined) waiting.catch(() => undefined);
    } catch {
      // handlers never throw into the library
    }
  }

  #scheduleRejoin(consumer: Consumer): void {
    if (this.#stopped || this.#rejoinTimer !== undefined) return;
    this.#rejoinTimer = setTimeout(
      () => {
        this.#rejoinTimer = undefined;
        if (this.#stopped || this.#consumer !== consumer) return;
        consumer.joinGroup({}).catch((error: unknown) => {
          this.#report(this.#toError(error, 'rejoin'));
          this.#scheduleRejoin(consumer);
        });
      },
      jitteredDelay(++this.#rejoins, REJOIN_BACKOFF),
    );
  }
}

function closeConsumer(consumer: Consumer): Promise<void> {
  return new Promise((resolve) => consumer.close(true, () => resolve()));
}

function closePool(pool: ConnectionPool): Promise<void> {
  return new Promise((resolve) => pool.close(() => resolve()));
}
