/** Dead letters that say why, against the real RabbitMQ: published with their reason, or rejected as before. */
import { createPipeline, type Pipeline } from '@sluice/core';
import {
  createTestQueue,
  messageCount,
  type RabbitMqTestQueue,
} from '@sluice/producers/rabbitmq/testing';
import { describeWithBroker } from '@sluice/producers/testing/vitest';
import { afterEach, beforeEach, expect, it } from 'vitest';
import {
  DEAD_LETTER_ATTEMPTS_HEADER,
  FAILURE_REASON_HEADER,
  SOURCE_QUEUE_HEADER,
  rabbitmqProducer,
  type RabbitMqMessage,
  type RabbitMqProducer,
  type RabbitMqProducerOptions,
} from '../../src/rabbitmq/index.ts';
import { AMQP_URL, memoryLogger, waitFor } from './support.ts';

const N = 20;
/** Messages 0, 4, 8, 12 and 16 fail. */
const fails = (id: string) => Number(id) % 4 === 0;

describeWithBroker('rabbitmq', 'rabbitmqProducer dead letters with their reason', () => {
  let queue: RabbitMqTestQueue;
  let pipeline: Pipeline | undefined;

  beforeEach(async () => {
    queue = await createTestQueue({ url: AMQP_URL, namePrefix: 'rmqdlq-', deadLetter: true });
    await queue.publish(N);
  });
  afterEach(async () => {
    await pipeline?.stop();
    pipeline = undefined;
    await queue.delete();
  });

  /** Runs the pipeline until every message was handled `times` in all, then stops it. */
  async function run(options: Partial<RabbitMqProducerOptions>, handlings: number) {
    const producer: RabbitMqProducer = rabbitmqProducer({
      url: AMQP_URL,
      queue: queue.name,
      ...options,
    });
    let handled = 0;
    pipeline = createPipeline({
      name: 'rmqdlq',
      producer: { module: producer },
      processors: { default: { concurrency: 2 } },
      logger: memoryLogger(),
      handleMessage(_p, m) {
        handled++;
        return fails(String(m.id)) ? m.fail(new RangeError(`order ${String(m.id)} is bad`)) : m;
      },
    });
    await pipeline.start();
    await waitFor(`${handlings} handlings (${handled} so far)`, () => handled >= handlings, 20_000);
    const dlq = (queue.deadLetter as { queue: string }).queue;
    await waitFor('5 dead letters', async () => (await messageCount(queue.connection, dlq)) === 5);
    expect(await pipeline.stop()).toEqual({ unacked: 0, timedOut: false });
    pipeline = undefined;
    expect(await queue.readAll()).toEqual([]);
    const dead = await queue.readDeadLettered();
    return { producer, dead: dead.sort((a, b) => Number(a.messageId) - Number(b.messageId)) };
  }

  const ids = (dead: RabbitMqMessage[]) => dead.map((m) => m.messageId);

  it('publishes 5 failures to the dead-letter exchange with reason, attempts and source queue', async () => {
    const dlx = (queue.deadLetter as { exchange: string }).exchange;
    const { producer, dead } = await run({ deadLetter: { exchange: dlx } }, N);
    expect(ids(dead)).toEqual(['0', '4', '8', '12', '16']);
    for (const m of dead) {
      expect(m.headers).toMatchObject({
        [FAILURE_REASON_HEADER]: `RangeError: order ${m.messageId} is bad`,
        [DEAD_LETTER_ATTEMPTS_HEADER]: 1,
        [SOURCE_QUEUE_HEADER]: queue.name,
      });
      expect(m.headers['x-death']).toBeUndefined(); // published by Sluice, not rejected
      expect(m.content.toString()).toBe(`message-${m.messageId}`);
      expect(m.deliveryMode).toBe(2);
    }
    expect(producer.stats()).toMatchObject({ deadLettered: 5, deadLetterFallbacks: 0 });
  });

  it('counts the attempts of delayed retries in the dead letter', async () => {
    const dlx = (queue.deadLetter as { exchange: string }).exchange;
    const retryQueue = `${queue.name}.retry`;
    try {
      const { dead } = await run(
        {
          deadLetter: { exchange: dlx },
          onFailure: 'retry',
          retry: { maxAttempts: 3, delay: { initial: 20, max: 50 } },
        },
        N + 5 * 2,
      );
      expect(ids(dead)).toEqual(['0', '4', '8', '12', '16']);
      for (const m of dead) expect(m.headers[DEAD_LETTER_ATTEMPTS_HEADER]).toBe(3);
    } finally {
      const channel = await queue.connection.createChannel();
      await channel.deleteQueue(retryQueue);
      await channel.close();
    }
  });

  it('falls back to the broker when the exchange refuses the publish: dead-lettered with x-death, none lost', async () => {
    const { producer, dead } = await run(
      { deadLetter: { exchange: `${queue.name}.no-such-exchange` } },
      N,
    );
    expect(ids(dead)).toEqual(['0', '4', '8', '12', '16']);
    for (const m of dead) {
      expect(m.headers[FAILURE_REASON_HEADER]).toBeUndefined();
      expect(m.headers['x-death']).toMatchObject([{ reason: 'rejected', queue: queue.name }]);
    }
    expect(producer.stats()).toMatchObject({
      deadLettered: 0,
      deadLetterFallbacks: 5,
      reconnects: 0, // the refused publish closed only the dead-letter channel
    });
  });
});
