import { createPipeline, type Message, type Pipeline } from '@sluice/core';
import { createTestQueue, type RabbitMqTestQueue } from '@sluice/producers/rabbitmq/testing';
import { describeWithBroker } from '@sluice/producers/testing/vitest';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { rabbitmqProducer, type RabbitMqProducerOptions } from '../../src/rabbitmq/index.ts';
import { AMQP_URL, memoryLogger, waitFor } from './support.ts';

const N = 10_000;

/** About one message in five fails, the same ones on every run. */
function unlucky(id: string): boolean {
  let h = 2166136261;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619);
  return (h >>> 0) % 5 === 0;
}

const failing = Array.from({ length: N }, (_, i) => String(i)).filter(unlucky);

describeWithBroker('rabbitmq', 'rabbitmqProducer ack policies, 10,000 messages each', () => {
  let queue: RabbitMqTestQueue;
  let pipeline: Pipeline | undefined;

  beforeEach(async () => {
    queue = await createTestQueue({ deadLetter: true });
    await queue.publish(N);
  });
  afterEach(async () => {
    await pipeline?.stop();
    pipeline = undefined;
    await queue.delete();
  });

  /** Runs until `done(handled)` holds, stops, and returns every handling's message id and redelivered flag. */
  async function run(
    options: Partial<RabbitMqProducerOptions>,
    fails: (m: Message) => boolean,
    done: (handled: number) => boolean,
  ) {
    const handled: { id: string; redelivered: boolean }[] = [];
    pipeline = createPipeline({
      name: 'policies',
      producer: {
        module: rabbitmqProducer({ url: AMQP_URL, queue: queue.name, prefetch: 500, ...options }),
      },
      processors: { default: { concurrency: 4 } },
      logger: memoryLogger(),
      handleMessage(_p, message) {
        handled.push({
          id: String(message.id),
          redelivered: (message.metadata as { redelivered: boolean }).redelivered,
        });
        return fails(message) ? message.fail('unlucky') : message;
      },
    });
    await pipeline.start();
    await waitFor(`handlings (${handled.length} so far)`, () => done(handled.length), 20_000);
    expect(await pipeline.stop()).toEqual({ unacked: 0, timedOut: false });
    pipeline = undefined;
    return handled;
  }

  const ids = (messages: { messageId?: string }[]) =>
    messages.map((m) => m.messageId).sort((a, b) => Number(a) - Number(b));

  it("'reject' (the default) dead-letters exactly the failures and acks the rest", async () => {
    const handled = await run(
      {},
      (m) => unlucky(String(m.id)),
      (n) => n >= N,
    );
    expect(handled).toHaveLength(N);
    expect(await queue.readAll()).toEqual([]);
    expect(ids(await queue.readDeadLettered())).toEqual(failing);
  });

  it("'requeue' hands failures back: each comes again, redelivered, and nothing is left", async () => {
    const handled = await run(
      { onFailure: 'requeue' },
      (m) => unlucky(String(m.id)) && !(m.metadata as { redelivered: boolean }).redelivered,
      (n) => n >= N + failing.length,
    );
    const again = handled.filter((h) => h.redelivered).map((h) => h.id);
    expect(again.sort((a, b) => Number(a) - Number(b))).toEqual(failing);
    expect(await queue.readAll()).toEqual([]);
    expect(await queue.readDeadLettered()).toEqual([]);
  });

  it("'requeueOnce' gives a failure one more delivery, then dead-letters it", async () => {
    const handled = await run(
      { onFailure: 'requeueOnce' },
      (m) => unlucky(String(m.id)),
      (n) => n >= N + failing.length,
    );
    expect(handled).toHaveLength(N + failing.length);
    expect(await queue.readAll()).toEqual([]);
    expect(ids(await queue.readDeadLettered())).toEqual(failing);
  });

  it("'ack' on failure drops failures: nothing requeued, nothing dead-lettered", async () => {
    const handled = await run(
      { onFailure: 'ack' },
      (m) => unlucky(String(m.id)),
      (n) => n >= N,
    );
    expect(handled).toHaveLength(N);
    expect(await queue.readAll()).toEqual([]);
    expect(await queue.readDeadLettered()).toEqual([]);
  });
});
