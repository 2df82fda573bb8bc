/**
 * pipeline.pause() / resume() over a real RabbitMQ queue: while paused the
 * acked count stops rising (deliveries up to the prefetch wait in the
 * producer stage, un-acked at the broker), and after resume every message
 * is handled exactly once and the queue ends empty.
 */
import diagnostics from 'node:diagnostics_channel';
import { createPipeline } from '@sluice/core';
import { createTestQueue, type RabbitMqTestQueue } from '@sluice/producers/rabbitmq/testing';
import { describeWithBroker } from '@sluice/producers/testing/vitest';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { rabbitmqChannels, rabbitmqProducer } from '../../src/rabbitmq/index.ts';
import { AMQP_URL, memoryLogger, waitFor } from './support.ts';

const N = 2000;

describeWithBroker('rabbitmq', 'pipeline.pause() / resume() over a real RabbitMQ queue', () => {
  let queue: RabbitMqTestQueue;

  beforeEach(async () => {
    queue = await createTestQueue();
    await queue.publish(N);
  });
  afterEach(() => queue.delete());

  it('pause stops the acked count from rising, resume restarts it, nothing lost or handled twice', async () => {
    const handled = new Map<string, number>();
    let active = 0;
    const pipeline = createPipeline({
      name: 'pause-rabbitmq',
      logger: memoryLogger(),
      producer: { module: rabbitmqProducer({ url: AMQP_URL, queue: queue.name }) },
      processors: { default: { concurrency: 4 } },
      handleMessage: async (_k, m) => {
        active++;
        await new Promise((r) => setImmediate(r)); // an async write
        const id = String(m.id);
        handled.set(id, (handled.get(id) ?? 0) + 1);
        active--;
        return m;
      },
    });
    const connections: string[] = [];
    const onOpen = () => void connections.push('open');
    const onClose = () => void connections.push('close');
    diagnostics.subscribe(rabbitmqChannels.connectionOpen, onOpen);
    diagnostics.subscribe(rabbitmqChannels.connectionClose, onClose);
    await pipeline.start();
    try {
      await waitFor('200 messages acked', () => pipeline.stats().successful >= 200);
      expect(pipeline.pause()).toBe(true);
      // What the processors already had finishes; then nothing more arrives.
      await waitFor('the processors to go idle', () => active === 0);
      await new Promise((r) => setTimeout(r, 100));
      const atPause = pipeline.stats().successful;
      expect(atPause).toBeLessThan(N);
      await new Promise((r) => setTimeout(r, 500));
      expect(pipeline.stats().successful).toBe(atPause);
      expect(handled.size).toBe(atPause);
      expect(pipeline.health()).toMatchObject({ ready: true, live: true, paused: true });

      // The channel stayed open through the pause: no reconnect, still connected.
      expect(connections).toEqual(['open']);

      expect(pipeline.resume()).toBe(true);
      await waitFor(`all ${N} acked`, () => pipeline.stats().successful === N, 30_000);
    } finally {
      expect(await pipeline.stop()).toEqual({ unacked: 0, timedOut: false });
      diagnostics.unsubscribe(rabbitmqChannels.connectionOpen, onOpen);
      diagnostics.unsubscribe(rabbitmqChannels.connectionClose, onClose);
    }
    expect(handled.size).toBe(N);
    expect([...handled.values()].every((n) => n === 1)).toBe(true);
    expect(await queue.readAll()).toEqual([]);
  });
});
