import diagnostics from 'node:diagnostics_channel';
import { createPipeline, silentLogger } from '@sluice/core';
import { countMessages } from '@sluice/producers/sqs/testing';
import { describeWithBroker } from '@sluice/producers/testing/vitest';
import { expect, it } from 'vitest';
import { sqsChannels, sqsProducer } from '../../src/sqs/index.ts';
import { elasticMq, until, type SqsMessage } from './elasticmq.ts';

describeWithBroker('sqs', 'sqsProducer on ElasticMQ', () => {
  const sqs = elasticMq();
  const { create, run } = sqs;

  it('leaves failures to the redrive policy: after maxReceiveCount they are in the DLQ', async () => {
    const queue = await create({
      dlq: { maxReceiveCount: 2 },
      attributes: { VisibilityTimeout: '1' },
    });
    await queue.publish(3);
    const receives: string[] = [];
    await run(
      queue,
      { extendVisibility: false },
      {
        handleMessage: (_p, m) => {
          receives.push(m.data as string);
          return m.fail('always');
        },
      },
    ).start();
    await until(
      async () => (await countMessages(sqs.client, queue.dlq!.url)).visible === 3,
      'three messages in the DLQ',
    );
    await sqs.pipeline?.stop();
    expect(receives.sort()).toEqual([
      'message-0',
      'message-0',
      'message-1',
      'message-1',
      'message-2',
      'message-2',
    ]);
    const dead = await queue.drainDlq();
    expect(dead.map((m) => m.body).sort()).toEqual(['message-0', 'message-1', 'message-2']);
    expect(await queue.drain()).toEqual([]);
  });

  it('keeps a message slower than the visibility timeout from being redelivered', async () => {
    const queue = await create({ attributes: { VisibilityTimeout: '1' } });
    await queue.publish(1);
    const seen: string[] = [];
    let done = false;
    await run(
      queue,
      {},
      {
        handleMessage: async (_p, m) => {
          seen.push((m as SqsMessage).metadata.attributes['ApproximateReceiveCount'] ?? '?');
          await new Promise((r) => setTimeout(r, 3500));
          done = true;
          return m;
        },
      },
    ).start();
    await until(() => done, 'the slow message');
    await until(async () => (await queue.count()).inFlight === 0, 'its delete');
    await sqs.pipeline?.stop();
    expect(seen).toEqual(['1']);
    expect(await queue.count()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it("delays the redelivery of a failure with onFailure 'retry'", async () => {
    const queue = await create({ attributes: { VisibilityTimeout: '30' } });
    await queue.publish(1);
    const at: number[] = [];
    await run(
      queue,
      { onFailure: 'retry', retryBackoff: { initial: 2000 } },
      {
        handleMessage: (_p, m) => {
          at.push(Date.now());
          return at.length === 1 ? m.fail('later') : m;
        },
      },
    ).start();
    await until(() => at.length === 2, 'the redelivery');
    await until(async () => (await queue.count()).inFlight === 0, 'the delete');
    // Redelivered after the 2 s backoff, long before the queue's 30 s visibility timeout.
    expect((at[1] as number) - (at[0] as number)).toBeGreaterThanOrEqual(1500);
    expect((at[1] as number) - (at[0] as number)).toBeLessThan(15_000);
  });

  it('keeps the order within each FIFO message group, with partitionBy on the group id', async () => {
    const queue = await create({ fifo: true });
    const groups = ['a', 'b', 'c'];
    for (let start = 0; start < 60; start += 10) {
      const entries = Array.from({ length: 10 }, (_, k) => {
        const i = start + k;
        const group = groups[i % 3] as string;
        return { id: String(k), body: `${group}-${Math.floor(i / 3)}`, messageGroupId: group };
      });
      await sqs.client.sendMessageBatch(queue.url, entries);
    }
    const order = new Map<string, number[]>(groups.map((g) => [g, []]));
    await run(
      queue,
      {},
      {
        processors: { default: { concurrency: 3 } },
        partitionBy: (m) => (m as SqsMessage).metadata.messageGroupId ?? '',
        handleMessage: async (_p, m) => {
          const [group, n] = (m.data as string).split('-') as [string, string];
          await new Promise((r) => setTimeout(r, Math.random() * 3));
          order.get(group)?.push(Number(n));
          return m;
        },
      },
    ).start();
    await until(() => [...order.values()].every((o) => o.length === 20), 'every message');
    await until(async () => (await queue.count()).inFlight === 0, 'the deletes');
    const expected = Array.from({ length: 20 }, (_, i) => i);
    for (const g of groups) expect(order.get(g)).toEqual(expected);
  });

  it('stops in the middle of a long poll at once, and loses nothing', async () => {
    const queue = await create({ attributes: { VisibilityTimeout: '1' } });
    await queue.publish(5);
    let handled = 0;
    let polling = 0;
    const onStart = () => polling++;
    const onStop = () => polling--;
    diagnostics.subscribe(sqsChannels.receiveStart, onStart);
    diagnostics.subscribe(sqsChannels.receiveStop, onStop);
    try {
      await run(
        queue,
        { waitTimeSeconds: 20 },
        { handleMessage: (_p, m) => (handled++, m) },
      ).start();
      await until(() => handled === 5, 'five messages');
      await until(async () => (await queue.count()).inFlight === 0, 'their deletes');
      // The queue is empty and the pipeline wants more: a 20 s long poll is waiting.
      await until(() => polling > 0, 'a long poll');
      const started = Date.now();
      expect(await sqs.pipeline?.stop()).toEqual({ unacked: 0, timedOut: false });
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      diagnostics.unsubscribe(sqsChannels.receiveStart, onStart);
      diagnostics.unsubscribe(sqsChannels.receiveStop, onStop);
    }
    expect(handled).toBe(5);
    // The aborted receives (up to maxConcurrentReceives, 10) may still be
    // waiting on the broker's side until their 20 s wait ends, and each can
    // take the messages sent now once, even between a count and a drain: they
    // are not lost, only hidden for a visibility timeout (1 s) each time. So
    // keep reading until all three have come back, for at most that 20 s
    // wait plus a timeout.
    await queue.publish(3);
    const bodies: string[] = [];
    await until(
      async () => {
        for (const m of await queue.drain()) bodies.push(String(m.body));
        return bodies.length >= 3;
      },
      'the three new messages',
      25_000,
    );
    expect(bodies.sort()).toEqual(['message-0', 'message-1', 'message-2']);
  }, 45_000);

  it('fails start() with a clear error for a queue that does not exist', async () => {
    const url = `${(await create()).url}-missing`;
    const p = createPipeline({
      name: 'sqs-it-missing',
      logger: silentLogger,
      producer: { module: sqsProducer({ queueUrl: url, client: sqs.client }) },
      processors: { default: {} },
      handleMessage: (_p, m) => m,
    });
    await expect(p.start()).rejects.toMatchObject({
      code: 'ERR_QUEUE_NOT_FOUND',
      message: `sqs producer cannot start: queue ${url} does not exist`,
    });
  });
});
