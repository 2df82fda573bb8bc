/** `sluice dlq` against Kafka: the producer's dlq topic and its `<groupId>-dlq` group. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kafkaProducer } from '@sluice/producers/kafka';
import {
  createTestTopic,
  kafkaTestBrokers,
  type KafkaTestTopic,
} from '@sluice/producers/kafka/testing';
import { describeWithBroker } from '@sluice/producers/testing/vitest';
import { afterEach, it } from 'vitest';
import { replayScenario } from './dlq-scenario.ts';

describeWithBroker('kafka', 'sluice dlq, Kafka', () => {
  let topic: KafkaTestTopic | undefined;
  let dlq: KafkaTestTopic | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'sluice-dlq-kafka-'));
  afterEach(async () => {
    await topic?.delete();
    await dlq?.delete();
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    'lists, shows and replays dead letters; a killed replay loses none',
    { timeout: 240_000 },
    async () => {
      topic = await createTestTopic({ partitions: 2 });
      dlq = await createTestTopic({ partitions: 2 });
      const source = topic;
      const dead = dlq;
      const brokers = kafkaTestBrokers();
      const groupId = `${source.name}-g`;
      const dlqCount = async () => {
        const admin = await dead.client.admin();
        try {
          const ends = await admin.fetchTopicOffsets(dead.name);
          const committed = new Map(
            (await admin.fetchCommittedOffsets(`${groupId}-dlq`, dead.name)).map((c) => [
              c.partition,
              c.offset,
            ]),
          );
          return ends.reduce((n, p) => {
            const from = committed.get(p.partition) ?? p.low;
            return n + Number(BigInt(p.high) - BigInt(from ?? p.low));
          }, 0);
        } finally {
          await admin.close();
        }
      };
      await replayScenario(
        {
          file: [
            'name: dlq-kafka',
            'producer:',
            '  type: kafka',
            `  brokers: [${brokers.join(', ')}]`,
            `  groupId: ${groupId}`,
            `  topics: [${source.name}]`,
            '  onFailure: dlq',
            `  dlq: { topic: ${dead.name} }`,
            '',
          ].join('\n'),
          args: [],
          producer: kafkaProducer({
            brokers,
            groupId,
            topics: [source.name],
            fromBeginning: true,
            onFailure: 'dlq',
            dlq: { topic: dead.name },
            retry: { maxAttempts: 2, backoff: { initial: 5 } },
          }),
          publish: async (n) => (await source.publish(n)).map((m) => m.value),
          dlqCount,
          attempts: '2',
          reason: 'bad order message-',
        },
        dir,
        12,
      );
    },
  );
});
