import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createPipeline, type Message, type Pipeline } from '@sluice/core';
import { createTestStream, type RedisTestStream } from '@sluice/producers/redis/testing';
import { describeWithBroker } from '@sluice/producers/testing/vitest';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { redisProducer, type RedisFields, type RedisMetadata } from '../../src/redis/index.ts';
import { memoryLogger, waitFor } from './support.ts';

type RedisMessage = Message<RedisFields, RedisMetadata>;

// The child runs on the built packages (dist): CI builds before testing.
const script = fileURLToPath(new URL('./fixtures/hanging-consumer.js', import.meta.url));

describeWithBroker('redis', 'redisProducer stopping and dying', () => {
  let s: RedisTestStream;
  let pipeline: Pipeline | undefined;
  let child: ChildProcess | undefined;

  beforeEach(async () => {
    s = await createTestStream();
  });
  afterEach(async () => {
    child?.kill('SIGKILL');
    child = undefined;
    await pipeline?.stop();
    pipeline = undefined;
    await s.delete();
  });

  it('drains on stop: entries waiting in a batcher are handled and acked, nothing left pending', async () => {
    await s.add(50);
    const batched: string[] = [];
    let handled = 0;
    pipeline = createPipeline({
      name: 'redis-drain',
      producer: { module: redisProducer({ ...s.options, block: 50 }) },
      processors: { default: { concurrency: 4 } },
      // The batch never fills and its timeout never comes: only the drain flushes it.
      batchers: { db: { batchSize: 1000, batchTimeout: 600_000 } },
      logger: memoryLogger(),
      handleMessage: (_p, m) => {
        handled += 1;
        return m.putBatcher('db');
      },
      handleBatch: (_b, messages) => {
        batched.push(...messages.map((m) => (m as RedisMessage).data['n'] as string));
        return messages;
      },
    });
    await pipeline.start();
    await waitFor('50 handled', () => handled === 50);
    expect(batched).toEqual([]);
    expect(await s.pending()).toBe(50);
    expect(await pipeline.stop()).toEqual({ unacked: 0, timedOut: false });
    pipeline = undefined;
    expect(batched).toHaveLength(50);
    expect(await s.pending()).toBe(0);
  });

  it('lets a second consumer finish what a SIGKILLed process held pending, duplicates bounded by it', async () => {
    await s.add(30);
    let out = '';
    let errors = '';
    const got: string[] = [];
    child = spawn(process.execPath, [script, s.url, s.stream, s.group, '8'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      got.splice(0, got.length, ...[...out.matchAll(/^got (\S+)$/gm)].map((m) => m[1] as string));
    });
    child.stderr?.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    await waitFor(`the child to take 8 entries (stderr: ${errors})`, () => got.length === 8);

    const exited = new Promise((resolve) => child?.once('exit', resolve));
    child.kill('SIGKILL');
    expect(await exited).toBeNull(); // killed by the signal
    child = undefined;
    // What the dead consumer read and never acked is pending with it.
    const heldPending = await s.pending();
    expect(heldPending).toBeGreaterThanOrEqual(8);

    const handled = new Map<string, number[]>();
    pipeline = createPipeline({
      name: 'survivor',
      producer: {
        module: redisProducer({
          ...s.options,
          consumer: 'survivor',
          block: 50,
          claimIdle: 300,
          claimInterval: 50,
        }),
      },
      processors: { default: { concurrency: 4 } },
      logger: memoryLogger(),
      handleMessage: (_p, message) => {
        const m = message as RedisMessage;
        const n = m.data['n'] as string;
        handled.set(n, [...(handled.get(n) ?? []), m.metadata.deliveryCount]);
        return m;
      },
    });
    await pipeline.start();
    await waitFor('all 30 handled', () => handled.size === 30);
    await waitFor('nothing pending', async () => (await s.pending()) === 0);
    expect(await pipeline.stop()).toEqual({ unacked: 0, timedOut: false });
    pipeline = undefined;
    // Each entry handled once by the survivor; those the child held come back as second deliveries.
    expect([...handled.values()].every((d) => d.length === 1)).toBe(true);
    const redelivered = [...handled.entries()].filter(([, d]) => d[0] === 2).map(([n]) => n);
    expect(redelivered).toHaveLength(heldPending);
    for (const n of got) expect(redelivered).toContain(n);
  }, 30_000);
});
