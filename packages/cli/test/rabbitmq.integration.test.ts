/** `sluice run` with `producer.type: rabbitmq`, against the real broker. */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createTestQueue, type RabbitMqTestQueue } from '@sluice/producers/rabbitmq/testing';
import { describeWithBroker } from '@sluice/producers/testing/vitest';
import { afterEach, expect, it } from 'vitest';

const BIN = resolve(import.meta.dirname, '../dist/bin.js');

describeWithBroker('rabbitmq', 'sluice run, rabbitmq producer', () => {
  let queue: RabbitMqTestQueue | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'sluice-cli-rmq-'));
  afterEach(async () => {
    await queue?.delete();
    rmSync(dir, { recursive: true, force: true });
  });

  it('consumes a queue from a pipeline file, drains on SIGTERM and leaves nothing behind', async () => {
    queue = await createTestQueue();
    const sent = await queue.publish(300);
    const out = join(dir, 'out.jsonl');
    writeFileSync(
      join(dir, 'rmq.yaml'),
      [
        'name: from-rabbit',
        'producer:',
        '  type: rabbitmq',
        `  url: \${AMQP_URL:-amqp://guest:guest@127.0.0.1:5672}`,
        `  queue: ${queue.name}`,
        'batchers: { out: { batchSize: 50, batchTimeout: 100 } }',
        `sink: { type: file, path: ${out} }`,
        '',
      ].join('\n'),
    );
    const code = await new Promise<number | null>((done, reject) => {
      const child = spawn(process.execPath, [BIN, 'run', 'rmq.yaml'], {
        cwd: dir,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      child.stderr.resume();
      const poll = setInterval(() => {
        if (existsSync(out) && readFileSync(out, 'utf8').trim().split('\n').length >= sent.length) {
          clearInterval(poll);
          child.kill('SIGTERM');
        }
      }, 20);
      child.once('error', reject);
      child.once('close', (c) => {
        clearInterval(poll);
        done(c);
      });
    });
    expect(code).toBe(0);
    const bodies = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as unknown);
    expect(bodies).toHaveLength(sent.length);
    expect(await queue.messageCount()).toBe(0);
  });
});
