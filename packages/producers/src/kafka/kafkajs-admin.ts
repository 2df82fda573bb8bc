/**
 * {@link KafkaAdminClient} over a kafkajs admin client, for fixtures and
 * tools: topics, offsets, groups.
 */
import type { Admin } from 'kafkajs';
import { BrokerError } from '../errors.ts';
import type {
  KafkaAdminClient,
  KafkaCommittedOffset,
  KafkaPartitionOffsets,
  KafkaTopicSpec,
} from './admin.ts';
import type { KafkaGroupPartitionOffsets } from './client.ts';
import { hasProtocolType, type KafkaJsContext } from './kafkajs-support.ts';

type PartitionOffset = { readonly partition: number; readonly offset: string };

/** Connects a kafkajs admin client and wraps it. */
export async function connectKafkaJsAdmin(context: KafkaJsContext): Promise<KafkaAdminClient> {
  return new KafkaJsAdmin(await connect(context), context);
}

async function connect(context: KafkaJsContext): Promise<Admin> {
  const admin = context.kafka.admin();
  await context.call('connect', undefined, () => admin.connect());
  return admin;
}

class KafkaJsAdmin implements KafkaAdminClient {
  #admin: Admin;
  readonly #context: KafkaJsContext;

  constructor(admin: Admin, context: KafkaJsContext) {
    this.#admin = admin;
    this.#context = context;
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

  async fetchGroupOffsets(groupId: string, topic: string): Promise<KafkaGroupPartitionOffsets[]> {
    const [ends, committed] = await Promise.all([
      this.fetchTopicOffsets(topic),
      this.fetchCommittedOffsets(groupId, topic),
    ]);
    const byPartition = new Map(committed.map((c) => [c.partition, c.offset]));
    return ends.map((e) => ({ ...e, committed: byPartition.get(e.partition) ?? null }));
  }

  async setCommittedOffsets(
    groupId: string,
    topic: string,
    offsets: readonly PartitionOffset[],
  ): Promise<void> {
    if (offsets.length > 0) await commitAs(this.#context, groupId, topic, offsets);
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
      return await this.#context.call(operation, topic, () => request(this.#admin));
    } catch (error) {
      if (!hasProtocolType((error as { cause?: unknown }).cause, 'UNKNOWN_TOPIC_OR_PARTITION')) {
        throw error;
      }
      await this.#admin.disconnect().catch(() => undefined);
      this.#admin = await connect(this.#context);
      return this.#context.call(operation, topic, () => request(this.#admin));
    }
  }
}

/**
 * Commits `offsets` as a member of `groupId`. kafkajs's own `setOffsets`
 * waits out a full fetch (5 s by default) before it returns.
 */
async function commitAs(
  { kafka, call, toError }: KafkaJsContext,
  groupId: string,
  topic: string,
  offsets: readonly PartitionOffset[],
): Promise<void> {
  const consumer = kafka.consumer({
    groupId,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: 100,
    retry: { retries: 2 },
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await call('connect', topic, () => consumer.connect());
    await call('subscribe', topic, () => consumer.subscribe({ topics: [topic] }));
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
          reject(toError(error, 'setOffsets', topic));
        });
      });
      consumer.on(consumer.events.CRASH, (event) => {
        // A retriable crash (e.g. the coordinator of a new group still
        // loading) restarts the consumer by itself; the timer bounds it.
        if (event.payload.restart) return;
        reject(toError(event.payload.error, 'setOffsets', topic));
      });
      consumer
        .run({ autoCommit: false, eachBatch: () => Promise.resolve() })
        .catch((error: unknown) => {
          reject(toError(error, 'setOffsets', topic));
        });
    });
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch(() => undefined);
  }
}
