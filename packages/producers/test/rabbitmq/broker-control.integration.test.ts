/**
 * What the RabbitMQ producer tells the broker on pipeline.resize() and
 * pause(), against a real RabbitMQ: growing the processors raises the
 * default prefetch (the consumer is started again on the same channel,
 * nothing requeued), and a pause cancels the consumer (the queue shows no
 * consumer, nothing new is delivered) until resume consumes again. Every
 * message is handled exactly once and the queue ends empty.
 */
import { createPipeline, type Message } from '@sluice/core';
import { createTestQueue, type RabbitMqTestQueue } from '@sluice/producers/rabbitmq/testing';
import { describeWithBroker } from '@sluice/producers/testing/vitest';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { rabbitmqProducer } from '../../src/rabbitmq/index.ts';
import { AMQP_URL, memoryLogger, waitFor } from './support.ts';

const N = 300;

describeWithBroker(
  'rabbitmq',
  'RabbitMQ producer: prefetch on resize, consumer cancel on pause',
  () => {
    let queue: RabbitMqTestQueue;

    beforeEach(async () => {
      queue = await createTestQueue({ namePrefix: 'ops-control' });
      await queue.publish(N);
    });
    afterEach(() => queue.delete());

    /** Ready messages and consumers of the queue, as the broker counts them. */
    const broker = async () => {
      const channel = await queue.connection.createChannel();
      try {
        const { messageCount, consumerCount } = await channel.checkQueue(queue.name);
        return { ready: messageCount, consumers: consumerCount };
      } finally {
        await channel.close();
      }
    };

    /** A handler that holds every message until `open()`, counting each body. */
    const gated = () => {
      const handled = new Map<string, number>();
      const redelivered: string[] = [];
      let open!: () => void;
      const gate = new Promise<void>((r) => (open = r));
      return {
        handled,
        redelivered,
        open: () => open(),
        handleMessage: async (_k: string, m: Message) => {
          await gate;
          const id = String(m.data);
          if ((m.metadata as { redelivered: boolean }).redelivered) redelivered.push(id);
          handled.set(id, (handled.get(id) ?? 0) + 1);
          return m;
        },
      };
    };

    it('growing the processors raises the default prefetch at the broker: 10 → 50 un-acked per consumer', async () => {
      const module = rabbitmqProducer({ url: AMQP_URL, queue: queue.name });
      const h = gated();
      const pipeline = createPipeline({
        name: 'ops-rabbitmq-prefetch',
        logger: memoryLogger(),
        producer: { module },
        // Default prefetch: what the pipeline holds, 1 × maxDemand 10.
        processors: { default: { concurrency: 1, maxDemand: 10 } },
        handleMessage: h.handleMessage,
      });
      await pipeline.start();
      try {
        // Handlers hold everything: the broker stops at the prefetch.
        await waitFor('290 ready', async () => (await broker()).ready === N - 10);
        expect(module.stats().deliveries).toBe(10);
        await pipeline.resize('default', 5).applied;
        // The new consumer may hold 5 × 10 = 50 un-acked; RabbitMQ counts the
        // prefetch per consumer, so the 10 the first one delivered come on top.
        await waitFor('240 ready', async () => (await broker()).ready === N - 60);
        expect(module.stats()).toMatchObject({ deliveries: 60, released: 0 });
        expect((await broker()).consumers).toBe(1);
        h.open();
        await waitFor(`all ${N} acked`, () => pipeline.stats().successful === N, 30_000);
      } finally {
        h.open();
        expect(await pipeline.stop()).toEqual({ unacked: 0, timedOut: false });
      }
      expect(h.handled.size).toBe(N);
      expect([...h.handled.values()].every((n) => n === 1)).toBe(true);
      // Started again on the same channel: nothing went back to the queue.
      expect(h.redelivered).toEqual([]);
      expect(module.stats().deliveries).toBe(N);
      expect(await queue.readAll()).toEqual([]);
    }, 60_000);

    it('pause cancels the consumer at the broker: nothing new is delivered until resume', async () => {
      const module = rabbitmqProducer({ url: AMQP_URL, queue: queue.name, prefetch: 20 });
      const h = gated();
      const pipeline = createPipeline({
        name: 'ops-rabbitmq-pause',
        logger: memoryLogger(),
        producer: { module },
        processors: { default: { concurrency: 2, maxDemand: 5 } },
        handleMessage: h.handleMessage,
      });
      await pipeline.start();
      try {
        await waitFor('280 ready', async () => (await broker()).ready === N - 20);
        expect(pipeline.pause()).toBe(true);
        await waitFor('no consumer on the queue', async () => (await broker()).consumers === 0);
        // The held deliveries are handled and acked while paused...
        h.open();
        await waitFor('the 10 with the processors acked', () => pipeline.stats().successful >= 10);
        // ...and new messages stay at the broker: nothing more was delivered.
        await queue.publish(50, { body: (i) => `extra-${i}` });
        await waitFor('330 ready', async () => (await broker()).ready === N + 50 - 20);
        expect(module.stats().deliveries).toBe(20);
        expect(pipeline.health()).toMatchObject({ ready: true, paused: true });
        expect(pipeline.resume()).toBe(true);
        await waitFor('the consumer back', async () => (await broker()).consumers === 1);
        await waitFor(`all ${N + 50} acked`, () => pipeline.stats().successful === N + 50, 30_000);
      } finally {
        h.open();
        expect(await pipeline.stop()).toEqual({ unacked: 0, timedOut: false });
      }
      expect(h.handled.size).toBe(N + 50);
      expect([...h.handled.values()].every((n) => n === 1)).toBe(true);
      expect(h.redelivered).toEqual([]);
      expect(await queue.readAll()).toEqual([]);
    }, 60_000);
  },
);
