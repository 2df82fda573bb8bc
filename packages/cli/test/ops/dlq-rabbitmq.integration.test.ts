/** `sluice dlq` against RabbitMQ: the queue the source dead-letters into. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rabbitmqProducer } from '@sluice/producers/rabbitmq';
import {
  createTestQueue,
  messageCount,
  type RabbitMqTestQueue,
} from '@sluice/producers/rabbitmq/testing';
import { describeWithBroker } from '@sluice/producers/testing/vitest';
import { afterEach, beforeEach, it } from 'vitest';
import { replayScenario } from './dlq-scenario.ts';

const URL = process.env['AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';

describeWithBroker('rabbitmq', 'sluice dlq, RabbitMQ', () => {
  let queue: RabbitMqTestQueue | undefined;
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-dlq-rmq-'));
  });
  afterEach(async () => {
    await queue?.delete();
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    'lists, shows and replays dead letters; a killed replay loses none',
    { timeout: 180_000 },
    async () => {
      queue = await createTestQueue({ url: URL, deadLetter: true });
      const source = queue;
      const dead = (source.deadLetter as { queue: string }).queue;
      await replayScenario(
        {
          file: [
            'name: dlq-rabbitmq',
            'producer:',
            '  type: rabbitmq',
            `  url: ${URL}`,
            `  queue: ${source.name}`,
            '',
          ].join('\n'),
          // The fixture's dead-letter exchange is a fanout one: the file cannot name the queue.
          args: ['--dlq', dead],
          producer: rabbitmqProducer({ url: URL, queue: source.name }),
          publish: async (n) => (await source.publish(n)).map((m) => m.body),
          // Ready and un-acked alike: a killed replay's deliveries come back when its channel dies.
          dlqCount: () => messageCount(source.connection, dead),
          attempts: '1',
          reason: 'rejected (x-death)',
        },
        dir,
        12,
      );
    },
  );

  it(
    'shows the reason and attempts the producer recorded when it knows the dead-letter exchange',
    { timeout: 180_000 },
    async () => {
      queue = await createTestQueue({ url: URL, namePrefix: 'rmqdlq-', deadLetter: true });
      const source = queue;
      const { exchange, queue: dead } = source.deadLetter as { exchange: string; queue: string };
      await replayScenario(
        {
          file: [
            'name: dlq-rabbitmq-reason',
            'producer:',
            '  type: rabbitmq',
            `  url: ${URL}`,
            `  queue: ${source.name}`,
            '  deadLetter:',
            `    exchange: ${exchange}`,
            '',
          ].join('\n'),
          args: ['--dlq', dead],
          producer: rabbitmqProducer({ url: URL, queue: source.name, deadLetter: { exchange } }),
          publish: async (n) => (await source.publish(n)).map((m) => m.body),
          dlqCount: () => messageCount(source.connection, dead),
          attempts: '1',
          reason: 'bad order message-',
        },
        dir,
        6,
      );
    },
  );
});
