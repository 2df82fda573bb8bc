import { createPipeline, type Message, type Pipeline } from '@sluice/core';
import { createTestStream, type RedisTestStream } from '@sluice/producers/redis/testing';
import { describeWithBroker } from '@sluice/producers/testing/vitest';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { redisProducer, type RedisFields, type RedisMetadata } from '../../src/redis/index.ts';
import { DropProxy, memoryLogger, waitFor } from './support.ts';

type RedisMessage = Message<RedisFields, RedisMetadata>;

describeWithBroker('redis', 'redisProducer on a real Redis', () => {
  let s: RedisTestStream;
  let pipeline: Pipeline | undefined;

  beforeEach(async () => {
    s = await createTestStream();
  });
  afterEach(async () => {
    await pipeline?.stop();
    pipeline = undefined;
    await s.delete();
  });

  it('reads 10,000 entries with 2 instances: each handled, none lost, all acked', async () => {
    const total = 10_000;
    await s.add(total);
    const seen = new Map<string, number>();
    pipeline = createPipeline({
      name: 'redis-10k',
      producer: { module: redisProducer({ ...s.options, block: 100 }), concurrency: 2 },
      processors: { default: { concurrency: 20 } },
      logger: memoryLogger(),
      handleMessage: (_p, m) => {
        const n = (m as RedisMessage).data['n'] as string;
        seen.set(n, (seen.get(n) ?? 0) + 1);
        return m;
      },
    });
    await pipeline.start();
    await waitFor(`${total} entries`, () => seen.size === total, 30_000);
    expect(await pipeline.stop()).toEqual({ unacked: 0, timedOut: false });
    pipeline = undefined;
    expect(seen.size).toBe(total);
    expect([...seen.values()].every((c) => c === 1)).toBe(true);
    expect(await s.pending()).toBe(0);
  }, 40_000);

  it('retries a failing entry after its backoff, then dead-letters it at maxAttempts', async () => {
    await s.add([{ n: 'bad', order: '42' }, { n: 'good' }]);
    const deliveries: number[] = [];
    pipeline = createPipeline({
      name: 'redis-dlq',
      producer: {
        module: redisProducer({
          ...s.options,
          block: 50,
          maxAttempts: 3,
          retryBackoff: { initial: 10, max: 20 },
        }),
      },
      processors: { default: { concurrency: 2 } },
      logger: memoryLogger(),
      handleMessage: (_p, message) => {
        const m = message as RedisMessage;
        if (m.data['n'] !== 'bad') return m;
        deliveries.push(m.metadata.deliveryCount);
        return m.fail(new Error('no such order'));
      },
    });
    await pipeline.start();
    const dead = await waitFor('a dead letter', async () => {
      const d = await s.deadLetters();
      return d.length > 0 ? d : undefined;
    });
    expect(deliveries).toEqual([1, 2, 3]);
    expect(dead).toHaveLength(1);
    expect(dead?.[0]?.fields).toMatchObject({
      n: 'bad',
      order: '42',
      'sluice-failure-reason': 'Error: no such order',
      'sluice-source-stream': s.stream,
      'sluice-delivery-count': '3',
    });
    await waitFor('nothing pending', async () => (await s.pending()) === 0);
  });

  it('claims a due retry while XREADGROUP blocks (block 60 s), not after the block', async () => {
    await s.add([{ n: 'flaky' }]);
    const deliveries: number[] = [];
    pipeline = createPipeline({
      name: 'redis-retry-unblock',
      producer: {
        module: redisProducer({
          ...s.options,
          block: 60_000,
          claimInterval: 600_000,
          retryBackoff: { initial: 50, max: 50 },
        }),
      },
      // One message held at a time: after the failure all the demand is with the blocked read.
      processors: { default: { concurrency: 1, maxDemand: 1 } },
      logger: memoryLogger(),
      handleMessage: (_p, message) => {
        const m = message as RedisMessage;
        deliveries.push(m.metadata.deliveryCount);
        return deliveries.length === 1 ? m.fail(new Error('not yet')) : m;
      },
    });
    await pipeline.start();
    // Before the fix the retry waited for the 60 s BLOCK; waitFor gives up after 10 s.
    await waitFor('the retry', () => deliveries.length === 2);
    expect(deliveries).toEqual([1, 2]);
    await waitFor('nothing pending', async () => (await s.pending()) === 0);
    expect(await pipeline.stop()).toEqual({ unacked: 0, timedOut: false });
    pipeline = undefined;
  }, 15_000);

  it('acks while a read blocks (block 60 s): an XACK never queues behind a blocked read', async () => {
    // Acks ride on the reading connection when a read goes out there; after
    // a full first read (count 10) the next reads block on the empty stream,
    // and the acks of the ten must not wait for them. (Which read they ride
    // with depends on timing; reader.test.ts checks the order itself.)
    await s.add(10);
    let handled = 0;
    pipeline = createPipeline({
      name: 'redis-ack-while-blocked',
      producer: {
        module: redisProducer({ ...s.options, count: 10, block: 60_000, claimInterval: 600_000 }),
      },
      processors: { default: { concurrency: 1, maxDemand: 20 } },
      logger: memoryLogger(),
      handleMessage: (_p, message) => {
        handled += 1;
        return message;
      },
    });
    await pipeline.start();
    await waitFor('ten handled', () => handled === 10);
    // waitFor gives up after 10 s, long before the 60 s BLOCK would end.
    await waitFor('nothing pending', async () => (await s.pending()) === 0);
    expect(await pipeline.stop()).toEqual({ unacked: 0, timedOut: false });
    pipeline = undefined;
  }, 15_000);

  it("claims a dead consumer's pending entries after claimIdle", async () => {
    await s.add(5);
    // A consumer that reads and dies: its entries stay pending.
    const { NodeRedisClient } = await import('../../src/redis/index.ts');
    const dead = new NodeRedisClient(s.url);
    await dead.createGroup(s.stream, s.group, '0');
    const taken = await dead.readGroup({
      stream: s.stream,
      group: s.group,
      consumer: 'dead',
      count: 3,
      block: 10,
    });
    await dead.close();
    expect(taken).toHaveLength(3);
    const got = new Map<string, RedisMetadata>();
    pipeline = createPipeline({
      name: 'redis-claim',
      producer: {
        module: redisProducer({
          ...s.options,
          consumer: 'alive',
          block: 50,
          claimIdle: 200,
          claimInterval: 50,
        }),
      },
      processors: { default: { concurrency: 2 } },
      logger: memoryLogger(),
      handleMessage: (_p, m) => {
        got.set((m as RedisMessage).data['n'] as string, (m as RedisMessage).metadata);
        return m;
      },
    });
    await pipeline.start();
    await waitFor('all 5', () => got.size === 5);
    for (const e of taken) {
      const meta = got.get(e.fields['n'] as string);
      expect(meta?.deliveryCount).toBe(2);
      expect(meta?.consumer).toBe('alive-0');
    }
    await waitFor('nothing pending', async () => (await s.pending()) === 0);
  });

  it('reconnects after its connections are cut, and goes on reading and acking', async () => {
    const target = new URL(s.url);
    const proxy = new DropProxy({ host: target.hostname, port: Number(target.port) || 6379 });
    const port = await proxy.listen();
    try {
      const seen = new Set<string>();
      pipeline = createPipeline({
        name: 'redis-reconnect',
        producer: {
          module: redisProducer({
            ...s.options,
            url: `redis://127.0.0.1:${port}`,
            block: 50,
            claimIdle: 500,
            claimInterval: 100,
            reconnectBackoff: { initial: 10, max: 50 },
          }),
        },
        processors: { default: { concurrency: 4 } },
        logger: memoryLogger(),
        handleMessage: (_p, m) => {
          seen.add((m as RedisMessage).data['n'] as string);
          return m;
        },
      });
      await pipeline.start();
      await s.add(20);
      await waitFor('the first 20', () => seen.size === 20);
      proxy.drop();
      await s.add(Array.from({ length: 20 }, (_, i) => ({ n: String(20 + i) })));
      await waitFor('all 40', () => seen.size === 40);
      await waitFor('nothing pending', async () => (await s.pending()) === 0);
      expect(await pipeline.stop()).toEqual({ unacked: 0, timedOut: false });
      pipeline = undefined;
    } finally {
      await proxy.close();
    }
  });

  it('with createGroup false, fails start() when the group is missing and starts when it exists', async () => {
    const options = { ...s.options, createGroup: false, block: 50 };
    pipeline = createPipeline({
      name: 'redis-no-group',
      producer: { module: redisProducer(options) },
      processors: { default: { concurrency: 1 } },
      logger: memoryLogger(),
      handleMessage: (_p, m) => m,
    });
    await expect(pipeline.start()).rejects.toMatchObject({
      code: 'ERR_QUEUE_NOT_FOUND',
      message: `redis producer cannot start: stream ${s.stream} has no consumer group ${s.group} (createGroup is false)`,
    });
    const { NodeRedisClient } = await import('../../src/redis/index.ts');
    const admin = new NodeRedisClient(s.url);
    expect(await admin.createGroup(s.stream, s.group, '0')).toBe(true);
    expect(await admin.createGroup(s.stream, s.group, '0')).toBe(false);
    await admin.close();
    pipeline = createPipeline({
      name: 'redis-group',
      producer: { module: redisProducer(options) },
      processors: { default: { concurrency: 1 } },
      logger: memoryLogger(),
      handleMessage: (_p, m) => m,
    });
    await pipeline.start();
  });
});
