import { createPipeline, type Message } from '@sluice/core';
import { describe, expect, it } from 'vitest';
import { natsProducer, type NatsMetadata } from '../../src/nats/index.ts';
import { FakeNatsClient, fakeMessage, type FakeMessage } from './fake-nats.ts';

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !condition(); i++) await new Promise((r) => setTimeout(r, 1));
  expect(condition()).toBe(true);
}

describe('natsProducer with a fake client', () => {
  it('decodes JSON, carries the metadata, acks successes and naks a payload that does not parse', async () => {
    const client = new FakeNatsClient();
    const good = fakeMessage('{"n":1}', { subject: 'orders.eu', seq: 7, headers: { k: ['v'] } });
    const bad = fakeMessage('not json', { seq: 8 });
    client.queue.push(good, bad);
    const seen: Message[] = [];
    const pipeline = createPipeline({
      name: 'nats-fake',
      producer: {
        module: natsProducer({ client, stream: 'ORDERS', consumer: 'billing', decode: 'json' }),
      },
      processors: { default: { concurrency: 2 } },
      handleMessage: (_p, m) => {
        seen.push(m);
        return m;
      },
    });
    await pipeline.start();
    await until(() => good.calls.length > 0 && bad.calls.length > 0);
    await pipeline.stop();
    expect(good.calls).toEqual(['ack']);
    expect(bad.calls).toEqual(['nak 1000']);
    const m = seen.find((x) => (x.metadata as NatsMetadata).streamSequence === 7)!;
    expect(m.data).toEqual({ n: 1 });
    expect(m.id).toBe('ORDERS:7');
    expect(m.metadata).toMatchObject({
      subject: 'orders.eu',
      stream: 'ORDERS',
      deliveryCount: 1,
      headers: { k: ['v'] },
    });
    expect(client.closed).toBe(false);
  });

  it("keeps each subject on one processor, in stream order, with partitionBy: 'subject'", async () => {
    const client = new FakeNatsClient();
    const messages: FakeMessage[] = [];
    for (let i = 0; i < 200; i++) {
      messages.push(fakeMessage(String(i), { subject: `orders.${i % 4}`, seq: i + 1 }));
    }
    client.queue.push(...messages);
    const order = new Map<string, number[]>();
    const pipeline = createPipeline({
      name: 'nats-order',
      producer: {
        module: natsProducer({ client, stream: 'ORDERS', consumer: 'c', partitionBy: 'subject' }),
      },
      processors: { default: { concurrency: 4 } },
      handleMessage: async (_p, m) => {
        const meta = m.metadata;
        await new Promise((r) => setTimeout(r, Math.random() * 2));
        order.set(meta.subject, [...(order.get(meta.subject) ?? []), meta.streamSequence]);
        return m;
      },
    });
    await pipeline.start();
    await until(() => messages.every((m) => m.calls.length > 0));
    await pipeline.stop();
    for (const seqs of order.values()) expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect([...order.values()].flat()).toHaveLength(200);
  });

  it('spreads the messages of one subject over every processor by default', async () => {
    const client = new FakeNatsClient();
    const messages: FakeMessage[] = [];
    for (let i = 0; i < 200; i++) {
      messages.push(fakeMessage(String(i), { subject: 'orders.all', seq: i + 1 }));
    }
    client.queue.push(...messages);
    let running = 0;
    let most = 0;
    const pipeline = createPipeline({
      name: 'nats-spread',
      producer: { module: natsProducer({ client, stream: 'ORDERS', consumer: 'c' }) },
      processors: { default: { concurrency: 4, maxDemand: 1 } },
      handleMessage: async (_p, m) => {
        running += 1;
        most = Math.max(most, running);
        await new Promise((r) => setTimeout(r, 1));
        running -= 1;
        return m;
      },
    });
    await pipeline.start();
    await until(() => messages.every((m) => m.calls.length > 0));
    await pipeline.stop();
    // One subject, yet more than one message handled at once.
    expect(most).toBeGreaterThan(1);
  });
});
