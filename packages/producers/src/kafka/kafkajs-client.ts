/**
 * {@link KafkaClient} over kafkajs 2.2. This is the only module that imports
 * kafkajs. kafkajs errors become {@link BrokerError}s that name the topic or
 * the brokers and keep the kafkajs error as `cause`. The client reads
 * kafkajs's log for connection errors, so that a consumer hears of an outage
 * at once rather than when kafkajs gives up retrying, about 10 s later; a
 * `logCreator` in the config still gets every entry, and without one
 * nothing else is logged.
 */
import { randomUUID } from 'node:crypto';
import {
  Kafka,
  logLevel,
  Partitioners,
  type Admin,
  type Batch,
  type Consumer,
  type KafkaConfig,
  type KafkaMessage,
  type LogEntry,
  type Producer,
} from 'kafkajs';
import { brokerEnv } from '../env.ts';
import { BrokerError } from '../errors.ts';
import { isNetworkError, messageOf } from '../internal/error-helpers.ts';
import type {
  KafkaAdminClient,
  KafkaClient,
  KafkaCommittedOffset,
  KafkaConsumerHandlers,
  KafkaConsumerOptions,
  KafkaGroupConsumer,
  KafkaTopicPartition,
  KafkaOutgoingMessage,
  KafkaPartitionOffsets,
  KafkaPublisher,
  KafkaRecord,
  KafkaRecordMetadata,
  KafkaTopicSpec,
} from './client.ts';
import { toHeaders } from './headers.ts';

/**
 * A {@link KafkaClient} backed by kafkajs.
 *
 * @example
 * ```ts
 * const kafka = new KafkaJsClient();                                 // KAFKA_BROKERS, or 127.0.0.1:9092
 * const kafka = new KafkaJsClient({ brokers: ['kafka-1:9092'], ssl: true });
 * const kafka = new KafkaJsClient(new Kafka({ brokers }));          // your own kafkajs instance
 * ```
 */
export class KafkaJsClient implements KafkaClient {
  readonly #kafka: Kafka;
  readonly #brokers: string;
  /** Running consumers' error handlers, told when a broker connection fails. */
  readonly #onUnreachable = new Set<(error: BrokerError) => void>();
  #lastUnreachable = 0;

  /**
   * @param kafkaOrConfig a kafkajs `Kafka`, or config for one. Missing
   * `brokers` come from `KAFKA_BROKERS`; `clientId` defaults to `sluice`.
   */
  constructor(kafkaOrConfig: Kafka | Partial<KafkaConfig> = {}) {
    if (isKafka(kafkaOrConfig)) {
      this.#kafka = kafkaOrConfig;
      this.#brokers = 'the Kafka cluster';
      return;
    }
    const theirs = kafkaOrConfig.logCreator;
    // Outages are seen in kafkajs's log. Without a logCreator of the
    // caller's, ours takes the log alone, at ERROR unless they chose a
    // level; with one, both see every entry. A logLevel alone keeps
    // kafkajs's console logger, and then only thrown errors are reported.
    const watchLog = theirs !== undefined || kafkaOrConfig.logLevel === undefined;
    const config: KafkaConfig = {
      clientId: 'sluice',
      brokers: [...brokerEnv().kafkaBrokers],
      ...kafkaOrConfig,
      // Last, so that `logCreator: undefined` in the config does not undo it.
      ...(watchLog && {
        logLevel: kafkaOrConfig.logLevel ?? (theirs === undefined ? logLevel.ERROR : logLevel.INFO),
        logCreator: (level: logLevel) => {
          const log = theirs?.(level);
          return (entry: LogEntry) => {
            this.#onLog(entry);
            log?.(entry);
          };
        },
      }),
    };
    this.#kafka = new Kafka(config);
    this.#brokers = Array.isArray(config.brokers) ? config.brokers.join(',') : 'the Kafka cluster';
  }

  async admin(): Promise<KafkaAdminClient> {
    const connectAdmin = async () => {
      const admin = this.#kafka.admin();
      await this.#call('connect', undefined, () => admin.connect());
      return admin;
    };
    return new KafkaJsAdmin(await connectAdmin(), {
      connect: connectAdmin,
      call: (op, topic, run) => this.#call(op, topic, run),
      commit: (groupId, topic, offsets) => this.#commitAs(groupId, topic, offsets),
    });
  }

  async publisher(): Promise<KafkaPublisher> {
    const producer = this.#kafka.producer({
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await this.#call('connect', undefined, () => producer.connect());
    return new KafkaJsPublisher(producer, (op, topic, run) => this.#call(op, topic, run));
  }

  consumer(options: KafkaConsumerOptions, handlers: KafkaConsumerHandlers): KafkaGroupConsumer {
    const onUnreachable = (error: BrokerError): void => handlers.onError(error);
    return new KafkaJsGroupConsumer(this.#kafka, options, handlers, {
      toError: (error, operation) =>
        this.#toBrokerError(error, operation, options.topics.join(',')),
      watch: (on) => {
        if (on) this.#onUnreachable.add(onUnreachable);
        else this.#onUnreachable.delete(onUnreachable);
      },
    });
  }

  /**
   * kafkajs logs a failed connection at once, while the request waits in
   * its retries. That is the first sign of an outage: running consumers hear
   * of it as ERR_BROKER_UNREACHABLE, at most once every 10 s.
   */
  #onLog(entry: LogEntry): void {
    const message = entry.log.message;
    if (entry.namespace !== 'Connection' || !/^Connection (error|timeout)/.test(message)) return;
    if (this.#onUnreachable.size === 0) return;
    const now = Date.now();
    if (now - this.#lastUnreachable < UNREACHABLE_REPORT_MS) return;
    this.#lastUnreachable = now;
    const broker = typeof entry.log['broker'] === 'string' ? entry.log['broker'] : this.#brokers;
    const error = new BrokerError(
      'ERR_BROKER_UNREACHABLE',
      'kafka',
      `cannot reach Kafka at ${broker} (connect): ${message}; kafkajs keeps retrying`,
    );
    for (const report of this.#onUnreachable) report(error);
  }

  async readTopic(
    topic: string,
    options: { readonly timeoutMs?: number } = {},
  ): Promise<KafkaRecord[]> {
    const timeoutMs = options.timeoutMs ?? 15_000;
    const admin = await this.admin();
    try {
      const ends = new Map<number, bigint>();
      let expected = 0n;
      for (const p of await admin.fetchTopicOffsets(topic)) {
        const high = BigInt(p.high);
        if (high > BigInt(p.low)) ends.set(p.partition, high);
        expected += high - BigInt(p.low);
      }
      if (ends.size === 0) return [];
      const groupId = `sluice-read-${topic}-${randomUUID().slice(0, 8)}`;
      try {
        const records = await this.#consumeUntil(topic, groupId, ends, expected, timeoutMs);
        return records.sort((a, b) =>
          a.partition !== b.partition
            ? a.partition - b.partition
            : Number(BigInt(a.offset) - BigInt(b.offset)),
        );
      } finally {
        await admin.deleteGroups([groupId]).catch(() => undefined);
      }
    } finally {
      await admin.close();
    }
  }

  /** Runs a throwaway consumer until each partition reached its end offset. */
  async #consumeUntil(
    topic: string,
    groupId: string,
    ends: Map<number, bigint>,
    expected: bigint,
    timeoutMs: number,
  ): Promise<KafkaRecord[]> {
    const consumer = this.#kafka.consumer({
      groupId,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 100,
      retry: { retries: 2 },
    });
    const records: KafkaRecord[] = [];
    const pending = new Set(ends.keys());
    let timer: NodeJS.Timeout | undefined;
    try {
      await this.#call('connect', topic, () => consumer.connect());
      await this.#call('subscribe', topic, () =>
        consumer.subscribe({ topics: [topic], fromBeginning: true }),
      );
      await new Promise<void>((resolve, reject) => {
        timer = setTimeout(() => {
          reject(
            new BrokerError(
              'ERR_BROKER_REQUEST',
              'kafka',
              `timed out after ${timeoutMs} ms reading Kafka topic ${topic}: got ${records.length} of ${expected} records`,
            ),
          );
        }, timeoutMs);
        consumer.on(consumer.events.CRASH, (event) => {
          reject(this.#toBrokerError(event.payload.error, 'readTopic', topic));
        });
        const eachBatch = ({ batch }: { batch: Batch }): Promise<void> => {
          const end = ends.get(batch.partition);
          if (end === undefined) return Promise.resolve();
          for (const m of batch.messages) {
            if (BigInt(m.offset) < end) records.push(toRecord(topic, batch.partition, m));
          }
          if (BigInt(batch.lastOffset()) >= end - 1n) pending.delete(batch.partition);
          if (pending.size === 0) resolve();
          return Promise.resolve();
        };
        consumer.run({ autoCommit: false, eachBatch }).catch((error: unknown) => {
          reject(this.#toBrokerError(error, 'readTopic', topic));
        });
      });
      return records;
    } finally {
      clearTimeout(timer);
      await consumer.disconnect().catch(() => undefined);
    }
  }

  /**
   * Commits `offsets` as a member of `groupId`. kafkajs's own `setOffsets`
   * waits out a full fetch (5 s by default) before it returns.
   */
  async #commitAs(groupId: string, topic: string, offsets: readonly PartitionOffset[]) {
    const consumer = this.#kafka.consumer({
      groupId,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 100,
      retry: { retries: 2 },
    });
    let timer: NodeJS.Timeout | undefined;
    try {
      await this.#call('connect', topic, () => consumer.connect());
      await this.#call('subscribe', topic, () => consumer.subscribe({ topics: [topic] }));
      await new Promise<void>((resolve, reject) => {
        timer = setTimeout(() => {
          reject(
            new BrokerError(
              'ERR_BROKER_REQUEST',
              'kafka',
              `timed out joining group ${groupId} to set its offsets on topic ${topic}`,
            ),
          );
        }, 15_000);
        // Not on GROUP_JOIN: until the first fetch starts, disconnect() does
        // not leave the group, and the member lingers until its session ends.
        let committing = false;
        consumer.on(consumer.events.FETCH_START, () => {
          if (committing) return;
          committing = true;
          const entries = offsets.map((o) => ({ topic, partition: o.partition, offset: o.offset }));
          consumer.commitOffsets(entries).then(resolve, (error: unknown) => {
            reject(this.#toBrokerError(error, 'setOffsets', topic));
          });
        });
        consumer.on(consumer.events.CRASH, (event) => {
          reject(this.#toBrokerError(event.payload.error, 'setOffsets', topic));
        });
        consumer
          .run({ autoCommit: false, eachBatch: () => Promise.resolve() })
          .catch((error: unknown) => {
            reject(this.#toBrokerError(error, 'setOffsets', topic));
          });
      });
    } finally {
      clearTimeout(timer);
      await consumer.disconnect().catch(() => undefined);
    }
  }

  async #call<T>(operation: string, topic: string | undefined, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw this.#toBrokerError(error, operation, topic);
    }
  }

  #toBrokerError(error: unknown, operation: string, topic: string | undefined): BrokerError {
    if (error instanceof BrokerError) return error;
    if (topic !== undefined && hasProtocolType(error, 'UNKNOWN_TOPIC_OR_PARTITION')) {
      return new BrokerError(
        'ERR_TOPIC_NOT_FOUND',
        'kafka',
        `Kafka topic ${topic} does not exist (${operation})`,
        { cause: error },
      );
    }
    if (isUnreachable(error)) {
      return new BrokerError(
        'ERR_BROKER_UNREACHABLE',
        'kafka',
        `cannot reach Kafka at ${this.#brokers} (${operation}): ${messageOf(error)}`,
        { cause: error },
      );
    }
    const on = topic === undefined ? '' : ` on topic ${topic}`;
    return new BrokerError(
      'ERR_BROKER_REQUEST',
      'kafka',
      `Kafka ${operation}${on} failed: ${messageOf(error)}`,
      { cause: error },
    );
  }
}

type PartitionOffset = { readonly partition: number; readonly offset: string };

/** Connection failures are reported at most this often. */
const UNREACHABLE_REPORT_MS = 10_000;

/** What a group consumer borrows from its {@link KafkaJsClient}. */
interface ConsumerSupport {
  readonly toError: (error: unknown, operation: string) => BrokerError;
  /** Starts (true) or stops (false) hearing of failed broker connections. */
  readonly watch: (on: boolean) => void;
}

/** What the admin client and publisher borrow from their {@link KafkaJsClient}. */
interface AdminSupport {
  readonly connect: () => Promise<Admin>;
  readonly call: <T>(
    operation: string,
    topic: string | undefined,
    run: () => Promise<T>,
  ) => Promise<T>;
  readonly commit: (
    groupId: string,
    topic: string,
    offsets: readonly PartitionOffset[],
  ) => Promise<void>;
}

class KafkaJsAdmin implements KafkaAdminClient {
  #admin: Admin;
  readonly #support: AdminSupport;

  constructor(admin: Admin, support: AdminSupport) {
    this.#admin = admin;
    this.#support = support;
  }

  createTopics(topics: readonly KafkaTopicSpec[]): Promise<boolean> {
    const names = topics.map((t) => t.topic).join(',');
    return this.#run('createTopics', names, (admin) =>
      admin.createTopics({
        waitForLeaders: true,
        topics: topics.map((t) => ({
          topic: t.topic,
          ...(t.numPartitions !== undefined && { numPartitions: t.numPartitions }),
          ...(t.replicationFactor !== undefined && { replicationFactor: t.replicationFactor }),
          ...(t.configEntries && {
            configEntries: Object.entries(t.configEntries).map(([name, value]) => ({
              name,
              value,
            })),
          }),
        })),
      }),
    );
  }

  async deleteTopics(topics: readonly string[]): Promise<void> {
    if (topics.length === 0) return;
    await this.#run('deleteTopics', topics.join(','), (admin) =>
      admin.deleteTopics({ topics: [...topics] }),
    );
  }

  listTopics(): Promise<string[]> {
    return this.#run('listTopics', undefined, (admin) => admin.listTopics());
  }

  async fetchTopicOffsets(topic: string): Promise<KafkaPartitionOffsets[]> {
    const offsets = await this.#run('fetchTopicOffsets', topic, (admin) =>
      admin.fetchTopicOffsets(topic),
    );
    return offsets
      .map((o) => ({ partition: o.partition, low: o.low, high: o.high }))
      .sort((a, b) => a.partition - b.partition);
  }

  async fetchCommittedOffsets(groupId: string, topic: string): Promise<KafkaCommittedOffset[]> {
    const result = await this.#run('fetchOffsets', topic, (admin) =>
      admin.fetchOffsets({ groupId, topics: [topic] }),
    );
    return (result.find((t) => t.topic === topic)?.partitions ?? [])
      .map((p) => ({ partition: p.partition, offset: BigInt(p.offset) < 0n ? null : p.offset }))
      .sort((a, b) => a.partition - b.partition);
  }

  async setCommittedOffsets(
    groupId: string,
    topic: string,
    offsets: readonly { readonly partition: number; readonly offset: string }[],
  ): Promise<void> {
    if (offsets.length > 0) await this.#support.commit(groupId, topic, offsets);
  }

  async listGroups(): Promise<string[]> {
    const { groups } = await this.#run('listGroups', undefined, (admin) => admin.listGroups());
    return groups.map((g) => g.groupId);
  }

  async deleteGroups(groupIds: readonly string[]): Promise<void> {
    if (groupIds.length === 0) return;
    try {
      await this.#run('deleteGroups', undefined, (admin) => admin.deleteGroups([...groupIds]));
    } catch (error) {
      const groups = (error as { cause?: { groups?: { error?: unknown }[] } }).cause?.groups;
      const onlyMissing =
        groups !== undefined &&
        groups.every(
          (g) => g.error === undefined || hasProtocolType(g.error, 'GROUP_ID_NOT_FOUND'),
        );
      if (!onlyMissing) throw error;
    }
  }

  async close(): Promise<void> {
    await this.#admin.disconnect();
  }

  /**
   * Runs `request` on the admin client, once more on a new one after an
   * unknown-topic error: a kafkajs admin refreshes metadata for every topic it
   * has touched, so one topic deleted elsewhere fails all its later requests.
   */
  async #run<T>(
    operation: string,
    topic: string | undefined,
    request: (admin: Admin) => Promise<T>,
  ): Promise<T> {
    try {
      return await this.#support.call(operation, topic, () => request(this.#admin));
    } catch (error) {
      if (!hasProtocolType((error as { cause?: unknown }).cause, 'UNKNOWN_TOPIC_OR_PARTITION')) {
        throw error;
      }
      await this.#admin.disconnect().catch(() => undefined);
      this.#admin = await this.#support.connect();
      return this.#support.call(operation, topic, () => request(this.#admin));
    }
  }
}

class KafkaJsPublisher implements KafkaPublisher {
  readonly #producer: Producer;
  readonly #call: AdminSupport['call'];

  constructor(producer: Producer, call: AdminSupport['call']) {
    this.#producer = producer;
    this.#call = call;
  }

  async send(
    topic: string,
    messages: readonly KafkaOutgoingMessage[],
  ): Promise<KafkaRecordMetadata[]> {
    if (messages.length === 0) return [];
    const metadata = await this.#call('send', topic, () =>
      this.#producer.send({
        topic,
        acks: -1,
        messages: messages.map((m) => ({
          value: m.value,
          ...(m.key !== undefined && { key: m.key }),
          ...(m.partition !== undefined && { partition: m.partition }),
          ...(m.headers && { headers: { ...m.headers } }),
          ...(m.timestamp !== undefined && { timestamp: m.timestamp }),
        })),
      }),
    );
    return metadata.map((r) => ({
      topic: r.topicName,
      partition: r.partition,
      baseOffset: r.baseOffset ?? r.offset ?? '-1',
    }));
  }

  async close(): Promise<void> {
    await this.#producer.disconnect();
  }
}

/**
 * A consumer-group member over a kafkajs consumer. kafkajs has no revoke
 * callback: a rebalance shows as its REBALANCING event (or a crash), and the
 * new assignment as GROUP_JOIN, from which the producer works out what was
 * revoked. kafkajs restarts itself after retriable crashes; after any other
 * crash this class starts a new kafkajs consumer, backing off up to 30 s.
 */
class KafkaJsGroupConsumer implements KafkaGroupConsumer {
  readonly #kafka: Kafka;
  readonly #options: KafkaConsumerOptions;
  readonly #handlers: KafkaConsumerHandlers;
  readonly #support: ConsumerSupport;
  #consumer: Consumer | undefined;
  /** Why the consumer is down, while kafkajs or this class restarts it. */
  #lastError: BrokerError | undefined;
  #running = false;
  #stopped = false;
  #generation = 0;
  #restartTimer: NodeJS.Timeout | undefined;
  #restarts = 0;
  #stopping: Promise<void> | undefined;

  constructor(
    kafka: Kafka,
    options: KafkaConsumerOptions,
    handlers: KafkaConsumerHandlers,
    support: ConsumerSupport,
  ) {
    this.#kafka = kafka;
    this.#options = options;
    this.#handlers = handlers;
    this.#support = support;
  }

  async start(): Promise<void> {
    if (this.#stopped) return;
    this.#support.watch(true);
    const o = this.#options;
    const consumer = this.#kafka.consumer({
      groupId: o.groupId,
      sessionTimeout: o.sessionTimeout,
      heartbeatInterval: o.heartbeatInterval,
      rebalanceTimeout: o.rebalanceTimeout,
      minBytes: o.minBytes,
      maxBytes: o.maxBytes,
      maxBytesPerPartition: o.maxBytesPerPartition,
      maxWaitTimeInMs: o.maxWaitTimeInMs,
      allowAutoTopicCreation: false,
      retry: { restartOnFailure: () => Promise.resolve(true) },
    });
    this.#consumer = consumer;
    consumer.on(consumer.events.REBALANCING, () => this.#rebalanceStart());
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      this.#restarts = 0;
      this.#lastError = undefined;
      const partitions: KafkaTopicPartition[] = [];
      for (const [topic, list] of Object.entries(event.payload.memberAssignment)) {
        for (const partition of list) partitions.push({ topic, partition });
      }
      this.#handlers.onAssignment(++this.#generation, partitions);
    });
    consumer.on(consumer.events.CRASH, (event) => {
      this.#lastError = this.#support.toError(event.payload.error, 'consume');
      this.#handlers.onError(this.#lastError);
      this.#rebalanceStart();
      if (!event.payload.restart) this.#scheduleRestart(consumer);
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [...o.topics], fromBeginning: o.fromBeginning });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: true,
        partitionsConsumedConcurrently: 1,
        eachBatch: ({ batch }) => {
          this.#handlers.onBatch({
            topic: batch.topic,
            partition: batch.partition,
            highWatermark: batch.highWatermark,
            records: batch.messages,
          });
          return Promise.resolve();
        },
      });
      this.#running = true;
    } catch (error) {
      this.#consumer = undefined;
      await consumer.disconnect().catch(() => undefined);
      throw this.#support.toError(error, 'start');
    }
  }

  pause(partitions: readonly KafkaTopicPartition[]): void {
    this.#each(partitions, (c, tp) => c.pause(tp));
  }

  resume(partitions: readonly KafkaTopicPartition[]): void {
    this.#each(partitions, (c, tp) => c.resume(tp));
  }

  async commit(
    offsets: readonly {
      readonly topic: string;
      readonly partition: number;
      readonly offset: string;
    }[],
  ): Promise<void> {
    const consumer = this.#consumer;
    if (consumer === undefined || !this.#running) {
      const why = this.#lastError;
      throw new BrokerError(
        why?.code ?? 'ERR_BROKER_REQUEST',
        'kafka',
        why === undefined
          ? 'Kafka commit not sent: the consumer is not running'
          : `Kafka commit not sent: the consumer is restarting after: ${why.message}`,
        { cause: why },
      );
    }
    try {
      await consumer.commitOffsets(offsets.map((o) => ({ ...o })));
    } catch (error) {
      throw this.#support.toError(error, 'commit');
    }
  }

  stop(): Promise<void> {
    this.#stopped = true;
    this.#support.watch(false);
    clearTimeout(this.#restartTimer);
    const consumer = this.#consumer;
    this.#running = false;
    this.#stopping ??=
      consumer === undefined ? Promise.resolve() : consumer.disconnect().catch(() => undefined);
    return this.#stopping;
  }

  #rebalanceStart(): void {
    try {
      const waiting = this.#handlers.onRebalanceStart();
      // kafkajs rejoins at once; a handler promise cannot hold it back.
      if (waiting !== undefined) waiting.catch(() => undefined);
    } catch {
      // handlers never throw into kafkajs
    }
  }

  #scheduleRestart(crashed: Consumer): void {
    if (this.#stopped) return;
    this.#running = false;
    const delay = Math.min(30_000, 1000 * 2 ** this.#restarts++);
    this.#restartTimer = setTimeout(() => {
      void crashed.disconnect().catch(() => undefined);
      this.start().catch((error: unknown) => {
        if (error instanceof BrokerError) this.#lastError = error;
        this.#handlers.onError(error);
        if (this.#consumer === undefined) this.#scheduleRestart(crashed);
      });
    }, delay);
  }

  #each(
    partitions: readonly KafkaTopicPartition[],
    run: (consumer: Consumer, tp: { topic: string; partitions: number[] }[]) => void,
  ): void {
    const consumer = this.#consumer;
    if (consumer === undefined || partitions.length === 0) return;
    const byTopic = new Map<string, number[]>();
    for (const p of partitions) {
      const list = byTopic.get(p.topic);
      if (list === undefined) byTopic.set(p.topic, [p.partition]);
      else list.push(p.partition);
    }
    try {
      run(
        consumer,
        [...byTopic].map(([topic, list]) => ({ topic, partitions: list })),
      );
    } catch {
      // Not running yet (or restarting): the producer re-applies pauses on the next assignment.
    }
  }
}

function isKafka(value: Kafka | Partial<KafkaConfig>): value is Kafka {
  return typeof (value as { admin?: unknown }).admin === 'function';
}

/** True when `error` or an error in its `cause` chain is a kafkajs protocol error of `type`. */
function hasProtocolType(error: unknown, type: string): boolean {
  for (let e = error, depth = 0; e && depth < 5; depth++) {
    if ((e as { type?: unknown }).type === type) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

function isUnreachable(error: unknown): boolean {
  for (let e = error, depth = 0; e && depth < 5; depth++) {
    const name = (e as { name?: unknown }).name;
    if (name === 'KafkaJSConnectionError' || name === 'KafkaJSBrokerNotFound') return true;
    e = (e as { cause?: unknown }).cause;
  }
  return isNetworkError(error);
}

function toRecord(topic: string, partition: number, m: KafkaMessage): KafkaRecord {
  return {
    topic,
    partition,
    offset: m.offset,
    key: m.key,
    value: m.value,
    headers: toHeaders(m.headers),
    timestamp: m.timestamp,
  };
}
