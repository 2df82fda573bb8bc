/**
 * The dead-letter topic through a broker restart: every message fails, the
 * broker stops mid-run and comes back, and the shared idempotent
 * dead-letter publisher is replaced and tried again, so every message lands
 * in the dead-letter topic exactly once, no partition halts, and the group
 * commits to the end. Stops Kafka: runs only against one started by this
 * checkout's scripts/brokers.sh (a private one: KAFKA_PORT, KAFKA_BROKERS).
 */
import { execFile } from 'node:child_process';
import diagnostics from 'node:diagnostics_channel';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createPipeline, type Pipeline } from '@sluice/core';
import { createTestTopic, type KafkaTestTopic } from '@sluice/producers/kafka/testing';
import { describeStoppingBroker } from '@sluice/producers/testing/vitest';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { kafkaChannels, kafkaProducer, type KafkaProducerModule } from '../../src/kafka/index.ts';
import { forEachKafkaClient, quietLogger, waitFor } from './helpers.ts';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const brokers = (action: 'up' | 'down') =>
  promisify(execFile)('bash', ['scripts/brokers.sh', action, 'kafka'], { cwd: root });

forEachKafkaClient((client, group) =>
  describeStoppingBroker(
    'kafka',
    `kafka producer: the dead-letter topic through a broker restart [${client}]`,
    () => {
      let topic: KafkaTestTopic;
      let dlq: KafkaTestTopic;
      let pipeline: Pipeline | undefined;
      const unsubscribe: (() => void)[] = [];
      beforeEach(async () => {
        topic = await createTestTopic({ partitions: 3 });
        dlq = await createTestTopic({ partitions: 1 });
      });
      afterEach(async () => {
        for (const u of unsubscribe.splice(0)) u();
        await pipeline?.stop();
        pipeline = undefined;
        await brokers('up'); // whatever happened, leave Kafka running
        await Promise.all([topic.delete(), dlq.delete()]);
      });

      it('every failed message reaches the dead-letter topic once; nothing halts; commits reach the end', async () => {
        const count = 600;
        await topic.publish(count);
        let dead = 0;
        const fn = (e: unknown) => {
          if ((e as { error?: unknown }).error === undefined) dead++;
        };
        diagnostics.subscribe(kafkaChannels.dlq, fn);
        unsubscribe.push(() => diagnostics.unsubscribe(kafkaChannels.dlq, fn));
        let kafkaDown!: () => void;
        const gate = new Promise<void>((resolve) => (kafkaDown = resolve));
        let handled = 0;
        const module: KafkaProducerModule = kafkaProducer({
          ...group,
          groupId: `${topic.name}-g`,
          topics: [topic.name],
          fromBeginning: true,
          onFailure: 'dlq',
          dlq: { topic: dlq.name },
          requestTimeout: 60_000,
        });
        pipeline = createPipeline({
          name: 'dlq-restart',
          logger: quietLogger(),
          shutdownTimeout: 20_000,
          producer: { module },
          processors: { default: { concurrency: 3 } },
          async handleMessage(_p, m) {
            if (handled >= 150) await gate;
            handled++;
            await new Promise((r) => setTimeout(r, 2));
            return m.fail(new Error('bad record'));
          },
        });
        await pipeline.start();
        await waitFor(() => dead >= 100, 'some dead letters before the outage', 30_000);
        await brokers('down');
        kafkaDown();
        await new Promise((r) => setTimeout(r, 2_000));
        const duringOutage = dead;
        await brokers('up');
        expect(duringOutage).toBeLessThan(count);
        await waitFor(
          () => dead >= count,
          () => `every dead letter, got ${dead}`,
          90_000,
        );
        expect(module.halted()).toEqual([]);
        await pipeline.stop();
        pipeline = undefined;

        const letters = await dlq.read();
        const origins = letters.map(
          (r) => `${r.headers['sluice-partition']}/${r.headers['sluice-offset']}`,
        );
        expect(new Set(origins).size).toBe(count);
        // The idempotent publisher: a send retried inside the client writes no duplicate.
        // A send whose fate was unknown at the restart may be sent again by a fresh one.
        console.info(`[dlq restart] ${letters.length} dead letters for ${count} messages`);
        const records = await topic.read();
        const end = (p: number) => String(records.filter((r) => r.partition === p).length);
        expect(await topic.committedOffsets(`${topic.name}-g`)).toEqual(
          [0, 1, 2].map((partition) => ({ partition, offset: end(partition) })),
        );
      }, 180_000);
    },
    { root },
  ),
);
