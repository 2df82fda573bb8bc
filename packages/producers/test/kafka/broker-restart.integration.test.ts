import { execFile } from 'node:child_process';
import diagnostics from 'node:diagnostics_channel';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createPipeline, type Pipeline } from '@sluice/core';
import { createTestTopic, type KafkaTestTopic } from '@sluice/testing/kafka';
import { describeWithBroker } from '@sluice/testing/vitest';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { kafkaChannels, kafkaProducer } from '../../src/kafka/index.ts';
import { fastGroup, quietLogger, waitFor } from './helpers.ts';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const brokers = (action: 'up' | 'down') =>
  promisify(execFile)('bash', ['scripts/brokers.sh', action, 'kafka'], { cwd: root });

describeWithBroker('kafka', 'kafka producer: the broker stops and comes back', () => {
  let topic: KafkaTestTopic;
  let pipeline: Pipeline | undefined;
  const errors: unknown[] = [];
  const onError = (e: unknown) => errors.push(e);
  beforeEach(async () => {
    topic = await createTestTopic({ partitions: 3 });
    diagnostics.subscribe(kafkaChannels.error, onError);
    diagnostics.subscribe(kafkaChannels.commitError, onError);
  });
  afterEach(async () => {
    diagnostics.unsubscribe(kafkaChannels.error, onError);
    diagnostics.unsubscribe(kafkaChannels.commitError, onError);
    await pipeline?.stop();
    pipeline = undefined;
    await brokers('up'); // whatever happened, leave Kafka running
    await topic.delete();
  });

  it('rides out a broker restart mid-run and loses nothing', async () => {
    const count = 3000;
    await topic.publish(count);
    const handled = new Set<string>();
    pipeline = createPipeline({
      name: 'restart',
      logger: quietLogger(),
      shutdownTimeout: 20_000,
      producer: {
        module: kafkaProducer({
          ...fastGroup,
          groupId: `${topic.name}-g`,
          topics: [topic.name],
          fromBeginning: true,
          // small buffers: most messages must be fetched after the restart
          maxBufferedPerPartition: 50,
        }),
      },
      processors: { default: { concurrency: 3 } },
      async handleMessage(_p, m) {
        await new Promise((r) => setTimeout(r, 2));
        handled.add(String(m.id));
        return m;
      },
    });
    await pipeline.start();
    await waitFor(() => handled.size >= 300, 'some messages before the outage');
    await brokers('down');
    await new Promise((r) => setTimeout(r, 1000));
    const duringOutage = handled.size;
    await brokers('up');
    // the outage really was mid-run: much was left to fetch after it
    expect(duringOutage).toBeLessThan(count);
    await waitFor(() => handled.size === count, 'every message after the restart', 60_000);
    // kafkajs rides out a short outage with its own retries, so errors may or
    // may not surface; any that did were reported on the channels, none thrown.
    expect(errors.every((e) => e !== undefined)).toBe(true);
    await pipeline.stop();
    pipeline = undefined;
    const records = await topic.read();
    const end = (p: number) => String(records.filter((r) => r.partition === p).length);
    expect(await topic.committedOffsets(`${topic.name}-g`)).toEqual(
      [0, 1, 2].map((partition) => ({ partition, offset: end(partition) })),
    );
  }, 120_000);
});
