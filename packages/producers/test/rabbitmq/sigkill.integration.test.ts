import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createPipeline, type Pipeline } from '@sluice/core';
import { createTestQueue, type RabbitMqTestQueue } from '@sluice/producers/rabbitmq/testing';
import { describeWithBroker } from '@sluice/producers/testing/vitest';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { rabbitmqProducer } from '../../src/rabbitmq/index.ts';
import { AMQP_URL, memoryLogger, waitFor } from './support.ts';

// The child runs on the built packages (dist): CI builds before testing.
const script = fileURLToPath(new URL('./fixtures/hanging-consumer.js', import.meta.url));

describeWithBroker('rabbitmq', 'rabbitmqProducer when a consumer process is killed', () => {
  let queue: RabbitMqTestQueue;
  let child: ChildProcess | undefined;
  let pipeline: Pipeline | undefined;

  beforeEach(async () => {
    queue = await createTestQueue({ deadLetter: true });
  });
  afterEach(async () => {
    child?.kill('SIGKILL');
    child = undefined;
    await pipeline?.stop();
    pipeline = undefined;
    await queue.delete();
  });

  it('lets a second process finish what a SIGKILLed one held unacked', async () => {
    await queue.publish(30);
    const got: string[] = [];
    let out = '';
    child = spawn(process.execPath, [script, queue.name, '8'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      got.splice(0, got.length, ...[...out.matchAll(/^got (\S+)$/gm)].map((m) => m[1] as string));
    });
    let errors = '';
    child.stderr?.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    await waitFor(`the child to take 8 messages (stderr: ${errors})`, () => got.length === 8);
    expect(await queue.messageCount()).toBe(22);

    const exited = new Promise((resolve) => child?.once('exit', resolve));
    child.kill('SIGKILL');
    expect(await exited).toBeNull(); // exit code null: killed by the signal
    child = undefined;

    const handled = new Map<string, boolean>();
    pipeline = createPipeline({
      name: 'survivor',
      producer: { module: rabbitmqProducer({ url: AMQP_URL, queue: queue.name }) },
      processors: { default: { concurrency: 4 } },
      logger: memoryLogger(),
      handleMessage(_p, m) {
        handled.set(String(m.id), (m.metadata as { redelivered: boolean }).redelivered);
        return m;
      },
    });
    await pipeline.start();
    await waitFor('all 30 handled', () => handled.size === 30);
    expect(await pipeline.stop()).toEqual({ unacked: 0, timedOut: false });
    pipeline = undefined;

    // The killed consumer's messages came back marked redelivered.
    for (const id of got) expect(handled.get(id)).toBe(true);
    expect([...handled.values()].filter(Boolean)).toHaveLength(8);
    expect(await queue.readAll()).toEqual([]);
  });
});
