import diagnostics from 'node:diagnostics_channel';
import { createPipeline, pipelineChannels, type BacklogEvent, type Pipeline } from '@sluice/core';
import { createTestTopic, type KafkaTestTopic } from '@sluice/producers/kafka/testing';
import { describeWithBroker } from '@sluice/producers/testing/vitest';
import { afterEach, expect, it } from 'vitest';
import { kafkaProducer } from '../../src/kafka/index.ts';
import { forEachKafkaClient, quietLogger, waitFor } from './helpers.ts';

forEachKafkaClient((client, group) =>
  describeWithBroker('kafka', `Kafka backlog [${client}]`, () => {
    let topic: KafkaTestTopic | undefined;
    let pipeline: Pipeline | undefined;
    let release: () => void = () => undefined;
    const events: BacklogEvent[] = [];
    const listener = (e: unknown): void => void events.push(e as BacklogEvent);
    afterEach(async () => {
      release();
      await pipeline?.stop();
      pipeline = undefined;
      diagnostics.unsubscribe(pipelineChannels.backlog, listener);
      events.length = 0;
      await topic?.delete();
    });

    it('reports end minus committed offset per partition, and 0 once everything is committed', async () => {
      topic = await createTestTopic({ partitions: 2 });
      const name = topic.name;
      const groupId = `${name}-g`;
      // 30 messages on partition 0, 20 on partition 1; the group has committed 10 and 5.
      await topic.publish(50, { partition: (i) => (i < 30 ? 0 : 1) });
      const admin = await topic.client.admin();
      try {
        await admin.setCommittedOffsets(groupId, name, [
          { partition: 0, offset: '10' },
          { partition: 1, offset: '5' },
        ]);
      } finally {
        await admin.close();
      }
      diagnostics.subscribe(pipelineChannels.backlog, listener);
      // Nothing is acked, so nothing is committed, until the gate opens.
      const gate = new Promise<void>((resolve) => (release = resolve));
      const p = createPipeline({
        name: 'kafka-backlog',
        logger: quietLogger(),
        producer: {
          module: kafkaProducer({ ...group, groupId, topics: [name], fromBeginning: true }),
        },
        processors: { default: { concurrency: 2 } },
        handleMessage: async (_p, m) => {
          await gate;
          return m;
        },
      });
      pipeline = p;
      await p.start();
      const lastOf = (partition: number) =>
        events.findLast((e) => e.destination === name && e.partition === partition);
      await waitFor(
        () => lastOf(0) !== undefined && lastOf(1) !== undefined,
        () => `a backlog sample for both partitions: ${JSON.stringify(events)}`,
      );
      // Produced minus committed, although the members have fetched past it.
      expect(lastOf(0)).toMatchObject({ pipeline: 'kafka-backlog', broker: 'kafka', waiting: 20 });
      expect(lastOf(1)).toMatchObject({ waiting: 15 });
      expect(p.stats().successful).toBe(0);
      expect(
        p
          .stats()
          .backlog.filter((s) => s.destination === name)
          .map((s) => [s.partition, s.waiting])
          .sort(),
      ).toEqual([
        [0, 20],
        [1, 15],
      ]);

      release();
      await waitFor(
        () => p.stats().successful === 35 && lastOf(0)?.waiting === 0 && lastOf(1)?.waiting === 0,
        () => `35 acked and lag 0 on both partitions: ${JSON.stringify(events.slice(-4))}`,
        40_000,
      );
      expect(await topic.committedOffsets(groupId)).toEqual([
        { partition: 0, offset: '30' },
        { partition: 1, offset: '20' },
      ]);
    }, 90_000);
  }),
);
