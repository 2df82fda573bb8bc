import { AmqplibClient, type RabbitMqAdminConnection } from '@sluice/producers/rabbitmq';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import {
  createTestQueue,
  exchangeExists,
  queueExists,
  type RabbitMqTestQueue,
} from '../../src/rabbitmq/testing.ts';
import { brokerEnv } from '../../src/testing/env.ts';
import { describeWithBroker } from '../../src/testing/vitest.ts';

/** Every queue and exchange these tests create starts with this. */
const PREFIX = 'sluice-test-fixtures-';

describeWithBroker('rabbitmq', 'RabbitMQ fixtures', () => {
  let connection: RabbitMqAdminConnection;
  const queues: RabbitMqTestQueue[] = [];
  const created: string[] = [];
  const create = async (options: Parameters<typeof createTestQueue>[0] = {}) => {
    const queue = await createTestQueue({ namePrefix: PREFIX, ...options });
    queues.push(queue);
    created.push(queue.name);
    if (queue.deadLetter) created.push(queue.deadLetter.queue);
    return queue;
  };

  beforeAll(async () => {
    connection = await new AmqplibClient().connect(brokerEnv().amqpUrl);
  });
  afterEach(async () => {
    await Promise.all(queues.splice(0).map((q) => q.delete()));
  });
  afterAll(() => connection.close());

  it('creates a uniquely named queue, publishes 100 messages and reads back exactly those', async () => {
    const queue = await create();
    expect(queue.name).toMatch(/^sluice-test-fixtures-[0-9a-f]{12}$/);

    const sent = await queue.publish(100);
    expect(await queue.messageCount()).toBe(100);

    const read = await queue.readAll();
    expect(read.map((m) => m.messageId)).toEqual(sent.map((m) => m.messageId));
    expect(read.map((m) => m.content.toString())).toEqual(sent.map((m) => m.body));
    expect(await queue.messageCount()).toBe(0);
    expect(await queue.readAll()).toEqual([]);
  });

  it('dead-letters rejected messages to the dead-letter queue', async () => {
    const queue = await create({ deadLetter: true });
    expect(queue.deadLetter).toEqual({
      exchange: `${queue.name}.dlx`,
      queue: `${queue.name}.dlq`,
    });
    await queue.publish(5, { headers: (i) => ({ n: i }) });

    const channel = await queue.connection.createChannel();
    for (let i = 0; i < 5; i++) {
      const message = await channel.get(queue.name);
      if (message) channel.nack(message.deliveryTag, { requeue: false });
    }
    await channel.close();

    expect(await queue.readAll()).toEqual([]);
    const dead = await queue.readDeadLettered();
    expect(dead.map((m) => m.messageId)).toEqual(['0', '1', '2', '3', '4']);
    expect(dead[0]?.headers).toMatchObject({
      n: 0,
      'x-first-death-reason': 'rejected',
      'x-first-death-queue': queue.name,
    });
  });

  it('deletes its queues and exchange, and delete() is safe to call twice', async () => {
    const queue = await createTestQueue({ namePrefix: PREFIX, deadLetter: true });
    created.push(queue.name, `${queue.name}.dlq`);
    await queue.publish(3);
    await queue.delete();
    await queue.delete();
    expect(await queueExists(connection, queue.name)).toBe(false);
    expect(await queueExists(connection, `${queue.name}.dlq`)).toBe(false);
    expect(await exchangeExists(connection, `${queue.name}.dlx`)).toBe(false);
  });

  it('deletes the retry queue a producer with onFailure retry declared beside it', async () => {
    const queue = await createTestQueue({ namePrefix: PREFIX });
    created.push(queue.name, `${queue.name}.retry`);
    const channel = await connection.createChannel();
    await channel.assertQueue(`${queue.name}.retry`);
    await channel.close();
    await queue.delete();
    expect(await queueExists(connection, `${queue.name}.retry`)).toBe(false);
  });

  it('leaves no queue or exchange behind', async () => {
    expect(created.length).toBeGreaterThan(0);
    for (const name of created) {
      expect(await queueExists(connection, name)).toBe(false);
    }
    for (const name of created.filter((n) => !n.endsWith('.dlq') && !n.endsWith('.retry'))) {
      expect(await exchangeExists(connection, `${name}.dlx`)).toBe(false);
    }
  });
});
