import diagnostics from 'node:diagnostics_channel';
import { createPipeline, type Message, type Pipeline } from '@sluice/core';
import {
  createTestQueue,
  messageCount,
  type RabbitMqTestQueue,
} from '@sluice/producers/rabbitmq/testing';
import { describeWithBroker } from '@sluice/producers/testing/vitest';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { brokerEnv } from '../../src/testing/env.ts';
import {
  ATTEMPTS_HEADER,
  rabbitmqChannels,
  rabbitmqProducer,
  type RabbitMqProducer,
  type RabbitMqProducerOptions,
} from '../../src/rabbitmq/index.ts';
import { AMQP_URL, DropProxy, memoryLogger, waitFor } from './support.ts';

describeWithBroker('rabbitmq', 'rabbitmqProducer against a real RabbitMQ', () => {
  let queue: RabbitMqTestQueue;
  let pipeline: Pipeline | undefined;
  let proxy: DropProxy | undefined;
  const cleanups: (() => unknown)[] = [];
  const events: Record<string, unknown[]> = {};
  const listeners = Object.values(rabbitmqChannels).map((name) => {
    const listener = (payload: unknown): void => {
      (events[name] ??= []).push(payload);
    };
    return [name, listener] as const;
  });

  beforeEach(async () => {
    for (const key of Object.keys(events)) delete events[key];
    for (const [name, l] of listeners) diagnostics.subscribe(name, l);
    queue = await createTestQueue({ deadLetter: true });
  });
  afterEach(async () => {
    for (const [name, l] of listeners) diagnostics.unsubscribe(name, l);
    await pipeline?.stop();
    pipeline = undefined;
    await proxy?.close();
    proxy = undefined;
    for (const c of cleanups.splice(0)) await c();
    await queue.delete();
  });

  function start(
    options: Partial<RabbitMqProducerOptions>,
    handleMessage: (m: Message) => Message | Promise<Message>,
    processors: { concurrency: number; maxDemand?: number } = { concurrency: 4 },
  ): { producer: RabbitMqProducer; started: Promise<void> } {
    const producer = rabbitmqProducer({ url: AMQP_URL, queue: queue.name, ...options });
    pipeline = createPipeline({
      name: 'resilience',
      producer: { module: producer },
      processors: { default: processors },
      logger: memoryLogger(),
      handleMessage: (_p, m) => handleMessage(m),
    });
    return { producer, started: pipeline.start() };
  }

  it('holds at most prefetch messages unacked, however many processors ask', async () => {
    await queue.publish(50);
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let handled = 0;
    const { producer, started } = start(
      { prefetch: 7 },
      async (m) => {
        await gate;
        handled++;
        return m;
      },
      { concurrency: 20, maxDemand: 1 },
    );
    await started;
    await waitFor('7 deliveries', () => producer.stats().deliveries === 7);
    await new Promise((r) => setTimeout(r, 100)); // the broker would push more now, if it could
    expect(producer.stats().deliveries).toBe(7);
    expect(await queue.messageCount()).toBe(43);
    release();
    await waitFor('50 handled', () => handled === 50);
    expect(producer.stats().deliveries).toBe(50);
  });

  it('survives dropped connections mid-run: nothing lost, duplicates bounded by what was in flight', async () => {
    const N = 3000;
    const prefetch = 100;
    await queue.publish(N);
    proxy = new DropProxy({ host: '127.0.0.1', port: Number(new URL(brokerEnv().amqpUrl).port) });
    const port = await proxy.listen();
    const seen = new Map<string, number>();
    const { producer, started } = start(
      {
        url: `amqp://guest:guest@127.0.0.1:${port}`,
        prefetch,
        backoff: { initial: 20, max: 100 },
      },
      async (m) => {
        await new Promise((r) => setImmediate(r));
        seen.set(String(m.id), (seen.get(String(m.id)) ?? 0) + 1);
        return m;
      },
    );
    await started;
    for (const at of [500, 1500, 2500]) {
      await waitFor(`${at} handled`, () => seen.size >= at, 15_000);
      proxy.drop();
    }
    await waitFor(`all ${N} handled (${seen.size} so far)`, () => seen.size === N, 20_000);
    await pipeline?.stop();
    pipeline = undefined;

    expect(await queue.readAll()).toEqual([]);
    expect(await queue.readDeadLettered()).toEqual([]);
    const handlings = [...seen.values()].reduce((a, b) => a + b, 0);
    const duplicates = handlings - N;
    // Only what was unacked on a dropped channel can come back: at most prefetch per drop.
    expect(duplicates).toBeLessThanOrEqual(prefetch * 3);
    expect(producer.stats().reconnects).toBeGreaterThanOrEqual(3);
    expect(events[rabbitmqChannels.connectionClose]?.length).toBeGreaterThanOrEqual(3);
    expect(events[rabbitmqChannels.reconnect]?.length).toBeGreaterThanOrEqual(3);
    expect(events[rabbitmqChannels.connectionOpen]?.length).toBeGreaterThanOrEqual(4);
  });

  it('reports a queue deleted under it, and resumes once the queue is back', async () => {
    await queue.publish(10);
    const handled: string[] = [];
    const { producer, started } = start({ backoff: { initial: 20, max: 50 } }, (m) => {
      handled.push(String(m.id));
      return m;
    });
    await started;
    await waitFor('10 handled', () => handled.length === 10);

    const admin = await queue.connection.createChannel();
    cleanups.push(() => admin.close().catch(() => undefined));
    await admin.deleteQueue(queue.name);
    await waitFor('the cancel reported', () =>
      (events[rabbitmqChannels.connectionClose] as { reason: string }[] | undefined)?.some((e) =>
        e.reason.includes('cancelled'),
      ),
    );
    await waitFor('a failed reconnect', () => events[rabbitmqChannels.connectionFailure]?.length);
    expect((events[rabbitmqChannels.connectionFailure]?.[0] as { reason: string }).reason).toMatch(
      /does not exist/,
    );

    await admin.assertQueue(queue.name, {
      arguments: { 'x-dead-letter-exchange': queue.deadLetter?.exchange },
    });
    await queue.publish(5);
    await waitFor('5 more handled', () => handled.length === 15);
    expect(producer.stats().reconnects).toBeGreaterThanOrEqual(1);
  });

  it('drains without losing a message: handled ones are acked, the rest are back on the queue', async () => {
    const N = 2000;
    await queue.publish(N);
    const acked = new Set<string>();
    const { producer, started } = start(
      { prefetch: 300 },
      async (m) => {
        await new Promise((r) => setTimeout(r, 1));
        acked.add(String(m.id));
        return m;
      },
      { concurrency: 10 },
    );
    await started;
    await waitFor('300 handled', () => acked.size >= 300);
    expect(await pipeline?.stop()).toEqual({ unacked: 0, timedOut: false });
    pipeline = undefined;

    const left = (await queue.readAll()).map((m) => String(m.messageId));
    expect(left.filter((id) => acked.has(id))).toEqual([]);
    expect(new Set([...acked, ...left]).size).toBe(N);
    expect(acked.size + left.length).toBe(N);
    expect(producer.stats().staleAcks).toBe(0);
  });

  it("'requeueOnce' and delayed retries: retried with a growing count, then dead-lettered", async () => {
    await queue.publish(20);
    const retryQueue = `${queue.name}.retry`;
    cleanups.push(async () => {
      const channel = await queue.connection.createChannel();
      await channel.deleteQueue(retryQueue);
      await channel.close();
    });
    const attempts = new Map<string, number[]>();
    const { producer, started } = start(
      {
        onFailure: 'retry',
        retry: { maxAttempts: 3, delay: { initial: 20, max: 100 } },
      },
      (m) => {
        const id = String(m.id);
        const header = (m.metadata as { headers: Record<string, unknown> }).headers[
          ATTEMPTS_HEADER
        ];
        attempts.set(id, [...(attempts.get(id) ?? []), Number(header ?? 0)]);
        if (Number(id) % 4 === 0) return m.fail('always');
        if (Number(id) % 4 === 1) {
          return m.configureAck({ onFailure: 'requeueOnce' }).fail('always');
        }
        return m;
      },
    );
    await started;
    await waitFor('the retries done', () => {
      const n = [...attempts.values()].reduce((a, b) => a + b.length, 0);
      return n === 20 + 5 * 2 + 5; // 5 retried twice, 5 requeued once
    });
    expect(await pipeline?.stop()).toEqual({ unacked: 0, timedOut: false });
    pipeline = undefined;
    const dead = (await queue.readDeadLettered()).map((m) => Number(m.messageId));
    expect(dead.sort((a, b) => a - b)).toEqual([0, 1, 4, 5, 8, 9, 12, 13, 16, 17]);
    expect(await queue.readAll()).toEqual([]);
    expect(await messageCount(queue.connection, retryQueue)).toBe(0);
    expect(attempts.get('0')).toEqual([0, 1, 2]);
    expect(attempts.get('1')).toEqual([0, 0]);
    expect(attempts.get('2')).toEqual([0]);
    expect(producer.stats().retried).toBe(10);
    expect(events[rabbitmqChannels.retry]).toHaveLength(10);
  });
});

describeWithBroker('rabbitmq', 'rabbitmqProducer start-up against a real RabbitMQ', () => {
  it('fails pipeline.start() with ERR_QUEUE_NOT_FOUND for a queue that does not exist', async () => {
    const pipeline = createPipeline({
      name: 'missing',
      producer: { module: rabbitmqProducer({ url: AMQP_URL, queue: 'sluice-test-no-such-queue' }) },
      processors: { default: { concurrency: 1 } },
      logger: memoryLogger(),
      handleMessage: (_p, m) => m,
    });
    await expect(pipeline.start()).rejects.toMatchObject({
      code: 'ERR_QUEUE_NOT_FOUND',
      message: expect.stringMatching(/sluice-test-no-such-queue does not exist/) as unknown,
    });
    await pipeline.stop();
  });
});
