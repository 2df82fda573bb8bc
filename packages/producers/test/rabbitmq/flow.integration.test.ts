import { type Message } from '@sluice/core';
import { Flow } from '@sluice/core/flow';
import { createTestQueue, type RabbitMqTestQueue } from '@sluice/producers/rabbitmq/testing';
import { describeWithBroker } from '@sluice/producers/testing/vitest';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { rabbitmqProducer, type RabbitMqMetadata } from '../../src/rabbitmq/index.ts';
import { AMQP_URL, memoryLogger } from './support.ts';

const N = 1000;
const all = Array.from({ length: N }, (_, i) => String(i));
/** Every seventh message fails. */
const unlucky = (id: string) => Number(id) % 7 === 3;
const ids = (messages: readonly { messageId?: string }[]) =>
  messages.map((m) => String(m.messageId)).sort((a, b) => Number(a) - Number(b));
const byNumber = (list: readonly string[]) => [...list].sort((a, b) => Number(a) - Number(b));

describeWithBroker('rabbitmq', 'Flow.fromProducer over a real RabbitMQ queue', () => {
  let queue: RabbitMqTestQueue;

  beforeEach(async () => {
    queue = await createTestQueue({ deadLetter: true });
    await queue.publish(N);
  });
  afterEach(() => queue.delete());

  it('acks what the flow handled and dead-letters the messages it marked failed', async () => {
    const stop = new AbortController();
    let handled = 0;
    await Flow.fromProducer<Message<Buffer, RabbitMqMetadata>>(
      rabbitmqProducer({ url: AMQP_URL, queue: queue.name }),
      {
        signal: stop.signal,
        select: (m) => m as Message<Buffer, RabbitMqMetadata>,
        logger: memoryLogger(),
      },
    )
      .each(async (m) => {
        await Promise.resolve(); // an async write
        if (unlucky(String(m.id))) m.fail('unlucky');
        if (++handled === N) stop.abort();
      })
      .run();
    expect(handled).toBe(N);
    expect(await queue.readAll()).toEqual([]);
    expect(ids(await queue.readDeadLettered())).toEqual(all.filter(unlucky));
  });

  it('a throwing operation dead-letters its chunk, stops the flow, and leaves the rest on the queue', async () => {
    const boom = new Error('cannot write 500');
    const chunks: string[][] = [];
    const run = Flow.fromProducer<Buffer>(rabbitmqProducer({ url: AMQP_URL, queue: queue.name }), {
      maxDemand: 20,
      logger: memoryLogger(),
    })
      .map((body) => body.toString().replace('message-', ''))
      .mapBatch((chunk) => {
        chunks.push(chunk);
        return chunk;
      })
      .each((id) => {
        if (id === '500') throw boom;
      })
      .run();
    await expect(run).rejects.toBe(boom);
    const thrown = chunks.at(-1) as string[];
    const acked = chunks.slice(0, -1).flat();
    expect(thrown).toContain('500');
    // The chunk went through the producer's failure policy ('reject': to the
    // dead-letter queue), and whatever the flow had not handled was requeued.
    expect(ids(await queue.readDeadLettered())).toEqual(byNumber(thrown));
    const left = ids(await queue.readAll());
    expect(left).toEqual(all.filter((id) => !acked.includes(id) && !thrown.includes(id)));
    expect(left.length).toBeGreaterThan(0);
  });
});
