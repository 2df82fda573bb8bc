/** `sluice dlq` against RabbitMQ: the queue the source dead-letters into. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rabbitmqProducer } from '@sluice/producers/rabbitmq';
import {
  createTestQueue,
  messageCount,
  readAll,
  type RabbitMqTestQueue,
} from '@sluice/producers/rabbitmq/testing';
import { describeWithBroker } from '@sluice/producers/testing/vitest';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { sluice } from './cli.ts';
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

  it('replays to sluice-source-queue without the dead-lettering headers, keeping the others', async () => {
    queue = await createTestQueue({ url: URL, namePrefix: 'rmqdlq-', deadLetter: true });
    const source = queue;
    const { queue: dead } = source.deadLetter as { queue: string };
    const channel = await source.connection.createChannel({ confirm: true });
    channel.sendToQueue(dead, Buffer.from('order 7'), {
      messageId: 'm7',
      persistent: true,
      headers: {
        keep: 'me',
        'sluice-failure-reason': 'Error: no stock',
        'sluice-attempts': 3,
        'sluice-source-queue': source.name,
        'x-sluice-attempts': 1, // sluice-attempts wins: 3, not 1 + 1
      },
    });
    await channel.waitForConfirms();
    await channel.close();
    // The file names another queue: the header says where the message came from.
    writeFileSync(
      join(dir, 'pipeline.yaml'),
      [
        'name: dlq-rabbitmq-headers',
        'producer:',
        '  type: rabbitmq',
        `  url: ${URL}`,
        '  queue: elsewhere',
        '',
      ].join('\n'),
    );
    const show = await sluice(['dlq', 'show', '--dlq', dead, 'pipeline.yaml'], dir);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toContain('attempts: 3');
    expect(show.stdout).toContain('reason: Error: no stock');
    expect(show.stdout).toContain(`source: ${source.name}`);
    const replay = await sluice(['dlq', 'replay', '--dlq', dead, 'pipeline.yaml'], dir);
    expect(replay.code, replay.stderr).toBe(0);
    const reader = await source.connection.createChannel();
    const back = await readAll(reader, source.name);
    await reader.close();
    expect(back.map((m) => [m.messageId, m.content.toString(), m.headers])).toEqual([
      ['m7', 'order 7', { keep: 'me' }],
    ]);
    expect(await messageCount(source.connection, dead)).toBe(0);
  });
});
