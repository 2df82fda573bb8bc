import { KafkaJsClient, type KafkaAdminClient } from '@sluice/producers/kafka';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import {
  createTestTopic,
  kafkaTestBrokers,
  listTestTopics,
  type KafkaTestTopic,
} from '../../src/kafka/testing.ts';
import { describeWithBroker } from '../../src/testing/vitest.ts';

/** Every topic these tests create starts with this, so leftovers are easy to find. */
const PREFIX = 'sluice-test-fixtures-';

describeWithBroker('kafka', 'Kafka fixtures', () => {
  const client = new KafkaJsClient({ brokers: kafkaTestBrokers() });
  let admin: KafkaAdminClient;
  const topics: KafkaTestTopic[] = [];
  const create = async (partitions: number) => {
    const topic = await createTestTopic({ client, namePrefix: PREFIX, partitions });
    topics.push(topic);
    return topic;
  };

  beforeAll(async () => {
    admin = await client.admin();
  });
  afterEach(async () => {
    await Promise.all(topics.splice(0).map((t) => t.delete()));
  });
  afterAll(() => admin.close());

  /** Topics and consumer groups (ours, and readTopic's throwaway ones) these tests made. */
  const leftovers = async () => ({
    topics: await listTestTopics(client, PREFIX),
    groups: (await admin.listGroups()).filter(
      (g) => g.startsWith(PREFIX) || g.startsWith(`sluice-read-${PREFIX}`),
    ),
  });

  it('starts from a clean broker: no topic or group is left from an earlier run', async () => {
    expect(await leftovers()).toEqual({ topics: [], groups: [] });
  });

  it('creates a topic with 3 partitions, publishes 100 keyed messages and reads back exactly those', async () => {
    const topic = await create(3);
    expect(topic.name).toMatch(/^sluice-test-fixtures-[0-9a-f]{12}$/);
    expect((await admin.fetchTopicOffsets(topic.name)).map((p) => p.partition)).toEqual([0, 1, 2]);

    const sent = await topic.publish(100);
    const records = await topic.read();

    expect(records.map((r) => r.value).sort()).toEqual(sent.map((m) => m.value).sort());
    expect(records.map((r) => r.key).sort()).toEqual(sent.map((m) => m.key).sort());
    // The key picks the partition, and each partition holds offsets 0..n-1 in send order.
    for (const partition of [0, 1, 2]) {
      const inPartition = records.filter((r) => r.partition === partition);
      expect(inPartition.map((r) => r.offset)).toEqual(inPartition.map((_, i) => String(i)));
      const indexes = inPartition.map((r) => Number(r.value?.slice('message-'.length)));
      expect(indexes).toEqual([...indexes].sort((a, b) => a - b));
    }
    expect(new Set(records.map((r) => r.partition)).size).toBe(3);
  });

  it('reads without consuming and leaves no consumer group behind', async () => {
    const topic = await create(1);
    await topic.publish(10, { headers: (i) => ({ n: String(i) }) });

    const first = await topic.read();
    const second = await topic.read();

    expect(second).toEqual(first);
    expect(first).toHaveLength(10);
    expect(first[3]).toEqual({
      partition: 0,
      offset: '3',
      key: 'key-3',
      value: 'message-3',
      headers: { n: '3' },
    });
    const groups = await admin.listGroups();
    expect(groups.filter((g) => g.startsWith(`sluice-read-${topic.name}`))).toEqual([]);
  });

  it("reports a group's committed offsets, null where it has none", async () => {
    const topic = await create(2);
    await topic.publish(10, { partition: (i) => i % 2 });
    const group = `${topic.name}-group`;
    expect(await topic.committedOffsets(group)).toEqual([
      { partition: 0, offset: null },
      { partition: 1, offset: null },
    ]);

    await admin.setCommittedOffsets(group, topic.name, [{ partition: 0, offset: '4' }]);
    try {
      expect(await topic.committedOffsets(group)).toEqual([
        { partition: 0, offset: '4' },
        { partition: 1, offset: null },
      ]);
    } finally {
      await admin.deleteGroups([group]);
    }
    expect(await admin.listGroups()).not.toContain(group);
  });

  it('deletes its topic, and delete() is safe to call twice', async () => {
    const topic = await createTestTopic({ client, namePrefix: PREFIX });
    await topic.publish(3);
    await topic.delete();
    await topic.delete();
    expect(await admin.listTopics()).not.toContain(topic.name);
  });

  it('leaves no topic or group behind', async () => {
    expect(await leftovers()).toEqual({ topics: [], groups: [] });
  });
});
