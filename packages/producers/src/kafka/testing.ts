/**
 * Kafka fixtures for integration tests: a uniquely named topic with N
 * partitions that is deleted after the test, keyed test messages, and a way
 * to read everything in a topic and a group's committed offsets. Everything
 * goes through the {@link KafkaAdmin} interface of `@sluice/producers/kafka`;
 * by default a `KafkaJsClient` for `KAFKA_BROKERS`, else the loopback broker
 * of `npm run brokers:up` ({@link kafkaTestBrokers}).
 *
 * Topics are created explicitly: the brokers Sluice's tests use do not
 * create topics on first use.
 */
import { BrokerError } from '../errors.ts';
import { brokerEnv } from '../testing/env.ts';
import {
  KafkaJsClient,
  type KafkaAdmin,
  type KafkaAdminClient,
  type KafkaCommittedOffset,
} from './index.ts';
import { DEFAULT_NAME_PREFIX, uniqueName } from '../testing/names.ts';

/**
 * The brokers tests talk to: `KAFKA_BROKERS`, else `127.0.0.1:9092` (the
 * broker of `npm run brokers:up`). Tests pass them to `kafkaProducer`
 * explicitly: the producer itself has no loopback default.
 */
export function kafkaTestBrokers(): string[] {
  return [...brokerEnv().kafkaBrokers];
}

/** Options of {@link createTestTopic}. */
export interface CreateKafkaTestTopicOptions {
  /** @defaultValue a new `KafkaJsClient` for {@link kafkaTestBrokers} */
  readonly client?: KafkaAdmin;
  /** @defaultValue `'sluice-test-'` */
  readonly namePrefix?: string;
  /** @defaultValue 1 */
  readonly partitions?: number;
  /** Topic configs, e.g. `{ 'retention.ms': '60000' }`. */
  readonly configEntries?: Readonly<Record<string, string>>;
}

/** A topic made by {@link createTestTopic}. */
export interface KafkaTestTopic {
  readonly name: string;
  readonly partitions: number;
  readonly client: KafkaAdmin;
  /** {@link publishTestMessages} to this topic. */
  publish(count: number, options?: PublishKafkaTestMessagesOptions): Promise<SentKafkaMessage[]>;
  /** {@link readTopic} on this topic. */
  read(options?: { readonly timeoutMs?: number }): Promise<KafkaTestRecord[]>;
  /** {@link committedOffsets} of `groupId` on this topic. */
  committedOffsets(groupId: string): Promise<KafkaCommittedOffset[]>;
  /**
   * Deletes the topic and waits until the cluster no longer lists it. Safe to
   * call more than once.
   */
  delete(): Promise<void>;
}

/**
 * Creates a topic named `sluice-test-<random>` with `partitions` partitions
 * and waits for their leaders. Delete it after the test with `delete()`.
 *
 * @example
 * ```ts
 * const topic = await createTestTopic({ partitions: 3 });
 * afterEach(() => topic.delete());
 * await topic.publish(100);
 * expect(await topic.read()).toHaveLength(100);
 * ```
 */
export async function createTestTopic(
  options: CreateKafkaTestTopicOptions = {},
): Promise<KafkaTestTopic> {
  const client = options.client ?? new KafkaJsClient({ brokers: kafkaTestBrokers() });
  const name = uniqueName(options.namePrefix ?? DEFAULT_NAME_PREFIX);
  const partitions = options.partitions ?? 1;
  await withAdmin(client, (admin) =>
    admin.createTopics([
      {
        topic: name,
        numPartitions: partitions,
        ...(options.configEntries && { configEntries: options.configEntries }),
      },
    ]),
  );
  let deleted: Promise<void> | undefined;
  return {
    name,
    partitions,
    client,
    publish: (count, publishOptions) => publishTestMessages(client, name, count, publishOptions),
    read: (readOptions) => readTopic(client, name, readOptions),
    committedOffsets: (groupId) => committedOffsets(client, groupId, name),
    delete: () => (deleted ??= deleteTopic(client, name)),
  };
}

/** Options of {@link publishTestMessages}. */
export interface PublishKafkaTestMessagesOptions {
  /** The key of message `i` (0-based); it picks the partition. @defaultValue `` i => `key-${i}` `` */
  readonly key?: (i: number) => string | null;
  /** The value of message `i`. @defaultValue `` i => `message-${i}` `` */
  readonly value?: (i: number) => string;
  /** Headers of message `i`. */
  readonly headers?: (i: number) => Readonly<Record<string, string>>;
  /** Send message `i` to this partition instead of the key's. */
  readonly partition?: (i: number) => number;
}

/** A message sent by {@link publishTestMessages}. */
export interface SentKafkaMessage {
  readonly key: string | null;
  readonly value: string;
}

/** Sends `count` messages to `topic` in one acknowledged batch (acks=all). */
export async function publishTestMessages(
  client: KafkaAdmin,
  topic: string,
  count: number,
  options: PublishKafkaTestMessagesOptions = {},
): Promise<SentKafkaMessage[]> {
  const key = options.key ?? ((i: number) => `key-${i}`);
  const value = options.value ?? ((i: number) => `message-${i}`);
  const messages = Array.from({ length: count }, (_, i) => ({
    key: key(i),
    value: value(i),
    ...(options.headers && { headers: options.headers(i) }),
    ...(options.partition && { partition: options.partition(i) }),
  }));
  const publisher = await client.publisher();
  try {
    await publisher.send(topic, messages);
  } finally {
    await publisher.close();
  }
  return messages.map((m) => ({ key: m.key, value: m.value }));
}

/** A record read by {@link readTopic}, with key, value and headers as UTF-8 strings. */
export interface KafkaTestRecord {
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly value: string | null;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * Every record in `topic` up to its current end, sorted by partition and
 * offset. Reading does not consume: it commits nothing and leaves no consumer
 * group behind, so a pipeline's own group is unaffected.
 */
export async function readTopic(
  client: KafkaAdmin,
  topic: string,
  options: { readonly timeoutMs?: number } = {},
): Promise<KafkaTestRecord[]> {
  const records = await client.readTopic(topic, options);
  return records.map((r) => ({
    partition: r.partition,
    offset: r.offset,
    key: r.key === null ? null : r.key.toString('utf8'),
    value: r.value === null ? null : r.value.toString('utf8'),
    headers: Object.fromEntries(
      Object.entries(r.headers).map(([name, v]) => [name, v.toString('utf8')]),
    ),
  }));
}

/** The committed offset of `groupId` per partition of `topic` (`null`: none yet). */
export function committedOffsets(
  client: KafkaAdmin,
  groupId: string,
  topic: string,
): Promise<KafkaCommittedOffset[]> {
  return withAdmin(client, (admin) => admin.fetchCommittedOffsets(groupId, topic));
}

/** Names of the topics whose name starts with `prefix`. */
export function listTestTopics(
  client: KafkaAdmin,
  prefix: string = DEFAULT_NAME_PREFIX,
): Promise<string[]> {
  return withAdmin(client, async (admin) =>
    (await admin.listTopics()).filter((t) => t.startsWith(prefix)).sort(),
  );
}

async function deleteTopic(client: KafkaAdmin, topic: string): Promise<void> {
  await withAdmin(client, async (admin) => {
    if ((await admin.listTopics()).includes(topic)) await admin.deleteTopics([topic]);
    const deadline = Date.now() + 10_000;
    while ((await admin.listTopics()).includes(topic)) {
      if (Date.now() > deadline) {
        throw new BrokerError(
          'ERR_BROKER_REQUEST',
          'kafka',
          `Kafka still lists topic ${topic} 10 s after deleting it`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });
}

async function withAdmin<T>(
  client: KafkaAdmin,
  run: (admin: KafkaAdminClient) => Promise<T>,
): Promise<T> {
  const admin = await client.admin();
  try {
    return await run(admin);
  } finally {
    await admin.close();
  }
}

export { DEFAULT_NAME_PREFIX, uniqueName } from '../testing/names.ts';
