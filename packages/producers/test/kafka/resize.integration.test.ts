/**
 * pipeline.resize() against a real Kafka, for both client libraries. The
 * producer keeps a partition's messages in order on one processor, so the
 * processor group is partitioned: resizing it 2 → 6 → 1 waits each time
 * until the processors have finished what they hold, then routes the
 * partitions over the new count. The batcher grows 1 → 3 → 1 meanwhile.
 * Every message is handled and acked exactly once, each partition's
 * messages are handled in offset order, and the group's committed offsets
 * end at the end of every partition.
 */
import { createPipeline, type Pipeline } from '@sluice/core';
import { createTestTopic, type KafkaTestTopic } from '@sluice/producers/kafka/testing';
import { describeWithBroker } from '@sluice/producers/testing/vitest';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { kafkaProducer } from '../../src/kafka/index.ts';
import { resizeScenario } from '../resize-scenario.ts';
import { forEachKafkaClient, quietLogger } from './helpers.ts';

const N = 300;
const PARTITIONS = 3;

forEachKafkaClient((client, group) =>
  describeWithBroker('kafka', `pipeline.resize() against a real Kafka [${client}]`, () => {
    let topic: KafkaTestTopic;
    let pipeline: Pipeline | undefined;
    beforeEach(async () => {
      topic = await createTestTopic({ partitions: PARTITIONS, namePrefix: 'ops-resize' });
    });
    afterEach(async () => {
      await pipeline?.stop();
      pipeline = undefined;
      await topic.delete();
    });

    it('resizes the partitioned processors and the batcher mid-run: per-partition order kept, nothing lost or handled twice', async () => {
      await topic.publish(N, { partition: (i) => i % PARTITIONS });
      const groupId = `${topic.name}-group`;
      const scenario = resizeScenario((m) => String(m.id));
      // Each partition's offsets, in the order handleMessage began them.
      const seen = new Map<number, number[]>();
      const { handleMessage } = scenario.definition;
      pipeline = createPipeline({
        name: `kafka-resize-${client}`,
        logger: quietLogger(),
        producer: {
          module: kafkaProducer({ ...group, groupId, topics: [topic.name], fromBeginning: true }),
        },
        ...scenario.definition,
        handleMessage: (key, m, ...rest) => {
          const { partition, offset } = m.metadata as { partition: number; offset: string };
          seen.set(partition, [...(seen.get(partition) ?? []), Number(offset)]);
          return handleMessage(key, m, ...rest);
        },
      });
      await scenario.run(pipeline, N, true);
      const outOfOrder = [...seen].filter(([, offsets]) =>
        offsets.some((o, i) => i > 0 && o < (offsets[i - 1] as number)),
      );
      expect(outOfOrder).toEqual([]);
      expect([...seen.values()].flat()).toHaveLength(N);
      expect(await topic.committedOffsets(groupId)).toEqual(
        Array.from({ length: PARTITIONS }, (_, partition) => ({
          partition,
          offset: String(N / PARTITIONS),
        })),
      );
    }, 90_000);

    it('ordering key: after growing, every new processor gets work; per-key order kept, nothing lost or handled twice', async () => {
      // 300 messages over 60 keys: a key has one message out at a time, and
      // each goes to the least busy processor, so all six fill up once the
      // resize is applied (the producer learns the new count).
      await topic.publish(N, { key: (i) => `k${i % 60}` });
      const groupId = `${topic.name}-group`;
      const scenario = resizeScenario((m) => String(m.id));
      const byKey = new Map<string, number[]>();
      const { handleMessage } = scenario.definition;
      pipeline = createPipeline({
        name: `kafka-resize-key-${client}`,
        logger: quietLogger(),
        producer: {
          module: kafkaProducer({
            ...group,
            groupId,
            topics: [topic.name],
            fromBeginning: true,
            ordering: 'key',
          }),
        },
        ...scenario.definition,
        handleMessage: (key, m, ...rest) => {
          const { offset } = m.metadata as { offset: string };
          const k = String(m.metadata.key);
          byKey.set(k, [...(byKey.get(k) ?? []), Number(offset)]);
          return handleMessage(key, m, ...rest);
        },
      });
      await scenario.run(pipeline, N, true, true);
      const outOfOrder = [...byKey].filter(([, offsets]) =>
        offsets.some((o, i) => i > 0 && o < (offsets[i - 1] as number)),
      );
      expect(outOfOrder).toEqual([]);
      expect([...byKey.values()].flat()).toHaveLength(N);
    }, 90_000);
  }),
);
