/**
 * pipeline.resize() against a real Kafka, for both client libraries. The
 * producer keeps a partition's messages in order on one processor, so the
 * processor group is partitioned and resizing it is refused (with an error
 * saying why); the batcher grows 1 → 3 → 1 while messages are in flight.
 * Every message is handled and acked exactly once and the group's committed
 * offsets end at the end of every partition.
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
      topic = await createTestTopic({ partitions: PARTITIONS });
    });
    afterEach(async () => {
      await pipeline?.stop();
      pipeline = undefined;
      await topic.delete();
    });

    it('resizes the batcher mid-run and refuses the partitioned processors: nothing lost or handled twice', async () => {
      await topic.publish(N, { partition: (i) => i % PARTITIONS });
      const groupId = `${topic.name}-group`;
      const scenario = resizeScenario((m) => String(m.id));
      pipeline = createPipeline({
        name: `kafka-resize-${client}`,
        logger: quietLogger(),
        producer: {
          module: kafkaProducer({ ...group, groupId, topics: [topic.name], fromBeginning: true }),
        },
        ...scenario.definition,
      });
      await scenario.run(pipeline, N, false);
      expect(await topic.committedOffsets(groupId)).toEqual(
        Array.from({ length: PARTITIONS }, (_, partition) => ({
          partition,
          offset: String(N / PARTITIONS),
        })),
      );
    }, 90_000);
  }),
);
