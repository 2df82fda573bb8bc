/** Dead letters that say why, with the fake channel: what is published where, and the fallback. */
import diagnostics from 'node:diagnostics_channel';
import type { Message, ProducerContext, ProducerInstance, ResolvedDefinition } from '@sluice/core';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  DEAD_LETTER_ATTEMPTS_HEADER,
  FAILURE_REASON_HEADER,
  SOURCE_QUEUE_HEADER,
  rabbitmqChannels,
  rabbitmqProducer,
  type RabbitMqDeadLetterEvent,
  type RabbitMqProducer,
  type RabbitMqProducerOptions,
} from '../../src/rabbitmq/index.ts';
import { describeReason } from '../../src/rabbitmq/dead-letter.ts';
import { FAKE_URL, FakeClient, memoryLogger } from './support.ts';

const tick = () => new Promise<void>((r) => setImmediate(r));

const definition = {
  name: 'p',
  producer: { concurrency: 1 },
  processor: { key: 'default', concurrency: 2, maxDemand: 10, minDemand: 5, timeout: undefined },
  batchers: [],
  shutdownTimeout: 30_000,
} as unknown as ResolvedDefinition<unknown>;

async function harness(options: Partial<RabbitMqProducerOptions>) {
  const client = new FakeClient();
  const module: RabbitMqProducer = rabbitmqProducer({
    url: FAKE_URL,
    queue: 'q',
    client,
    prefetch: 10,
    ...options,
  });
  const logger = memoryLogger();
  const context: ProducerContext = {
    pipeline: 'p',
    index: 0,
    concurrency: 1,
    logger,
    definition,
    emit: () => undefined,
  };
  const instance: ProducerInstance = await module.init(context);
  const ack = (successful: Message[], failed: Message[]) => {
    const first = (successful[0] ?? failed[0]) as Message;
    return first.acknowledger.ack(first.ackRef, successful, failed);
  };
  return { client, module, logger, instance, ack };
}

const withDlx = { declare: { arguments: { 'x-dead-letter-exchange': 'dlx' } } };

describe('RabbitMQ dead letters with their reason (fake channel)', () => {
  it('publishes a rejected failure to the dead-letter exchange with reason, attempts and source, then acks it', async () => {
    const { client, instance, ack, module } = await harness(withDlx);
    client.channel.deliver({
      messageId: 'a',
      routingKey: 'orders.new',
      deliveryMode: 2,
      contentType: 'application/json',
      expiration: '60000', // left out: a dead letter must not expire in the dead-letter queue
      headers: { keep: 'me', 'x-sluice-attempts': 2 },
    });
    client.channel.deliver({ messageId: 'b' });
    const [a, b] = (await instance.handleDemand(2)) as [Message, Message];
    a.fail(new TypeError('no customer'));
    await ack([b], [a]);
    const dlc = client.connections[0]?.channels[1];
    expect(dlc?.exchangePublished).toEqual([
      {
        exchange: 'dlx',
        routingKey: 'orders.new',
        content: Buffer.from('m1'),
        options: {
          messageId: 'a',
          contentType: 'application/json',
          persistent: true,
          headers: {
            keep: 'me',
            [FAILURE_REASON_HEADER]: 'TypeError: no customer',
            [DEAD_LETTER_ATTEMPTS_HEADER]: 3,
            [SOURCE_QUEUE_HEADER]: 'q',
          },
        },
      },
    ]);
    // b at once, a only once the broker confirmed its dead letter.
    expect(client.channel.wire).toEqual([
      ['ack', 2, false],
      ['ack', 1, false],
    ]);
    expect(module.stats()).toMatchObject({ deadLettered: 1, deadLetterFallbacks: 0 });
  });

  it('uses deadLetter.exchange and the x-dead-letter-routing-key', async () => {
    const { client, instance, ack } = await harness({
      declare: {
        arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'q.dlq' },
      },
      deadLetter: { exchange: 'other' },
    });
    client.channel.deliver();
    const [m] = (await instance.handleDemand(1)) as [Message];
    await ack([], [m.fail('bad')]);
    const published = client.connections[0]?.channels[1]?.exchangePublished;
    expect(published?.map((p) => [p.exchange, p.routingKey])).toEqual([['other', 'q.dlq']]);
    expect(client.channel.wire).toEqual([['ack', 1, false]]);
  });

  it('falls back to basic.reject when the broker refuses the publish, and opens a new channel next time', async () => {
    const events: RabbitMqDeadLetterEvent[] = [];
    const listen = (e: unknown) => events.push(e as RabbitMqDeadLetterEvent);
    diagnostics.subscribe(rabbitmqChannels.deadLetter, listen);
    onTestFinished(() => {
      diagnostics.unsubscribe(rabbitmqChannels.deadLetter, listen);
    });
    const { client, instance, ack, logger, module } = await harness(withDlx);
    client.channel.deliver();
    client.channel.deliver();
    const [m1, m2] = (await instance.handleDemand(2)) as [Message, Message];
    // The first dead letter opens the channel; refuse the next publish on it.
    await ack([], [m1.fail('first')]);
    const dlc = client.connections[0]?.channels[1];
    if (dlc) dlc.refusePublish = true;
    await ack([], [m2.fail('second')]);
    expect(client.channel.wire).toEqual([
      ['ack', 1, false],
      ['reject', 2, false],
    ]);
    expect(module.stats()).toMatchObject({ deadLettered: 1, deadLetterFallbacks: 1 });
    expect(events.map((e) => [e.exchange, e.count, e.error?.message])).toEqual([
      ['dlx', 1, undefined],
      ['dlx', 1, "NOT_FOUND - no exchange 'dlx'"],
    ]);
    const warned = logger.lines.filter((l) => l.level === 'warn').map((l) => l.msg);
    expect(warned).toEqual([
      "publishing 1 dead letters to exchange 'dlx' failed (NOT_FOUND - no exchange 'dlx'); rejecting them instead, so the broker dead-letters them without their reason",
    ]);

    client.channel.deliver();
    const [m3] = (await instance.handleDemand(1)) as [Message];
    await ack([], [m3.fail('third')]);
    expect(client.connections[0]?.channels).toHaveLength(3);
    expect(client.connections[0]?.channels[2]?.exchangePublished).toHaveLength(1);
    expect(client.channel.wire.at(-1)).toEqual(['ack', 3, false]);
  });

  it('falls back to basic.reject when the dead-letter channel cannot be opened', async () => {
    const { client, instance, ack } = await harness(withDlx);
    const connection = client.connections[0];
    if (connection) connection.failCreateChannel = new Error('channel_max reached');
    client.channel.deliver();
    const [m] = (await instance.handleDemand(1)) as [Message];
    await ack([], [m.fail('bad')]);
    expect(client.channel.wire).toEqual([['reject', 1, false]]);
  });

  it('leaves dead-lettering to the broker without a known exchange, or with deadLetter.publish: false', async () => {
    for (const options of [{}, { ...withDlx, deadLetter: { publish: false } }]) {
      const { client, instance, ack } = await harness(options);
      client.channel.deliver();
      const [m] = (await instance.handleDemand(1)) as [Message];
      await ack([], [m.fail('bad')]);
      await tick();
      expect(client.connections[0]?.channels).toHaveLength(1);
      expect(client.channel.wire).toEqual([['reject', 1, false]]);
    }
  });

  it("dead-letters 'requeueOnce' failures only once redelivered, and never requeues or acks through it", async () => {
    const { client, instance, ack } = await harness({ ...withDlx, onFailure: 'requeueOnce' });
    client.channel.deliver();
    client.channel.deliver({ redelivered: true });
    const [m1, m2] = (await instance.handleDemand(2)) as [Message, Message];
    await ack([], [m1.fail('x'), m2.fail('x')]);
    expect(client.connections[0]?.channels[1]?.exchangePublished).toHaveLength(1);
    expect(client.channel.wire).toEqual([
      ['reject', 1, true],
      ['ack', 2, false],
    ]);
  });

  it('refuses bad deadLetter options, naming each', () => {
    expect(() =>
      rabbitmqProducer({
        url: FAKE_URL,
        queue: 'q',
        deadLetter: { exchange: 5, publish: 'yes', route: 'x' } as never,
      }),
    ).toThrow(
      [
        'invalid rabbitmq producer options:',
        '  - deadLetter.exchange: expected a string (an exchange name), got 5',
        "  - deadLetter.publish: expected a boolean, got 'yes'",
        "  - deadLetter.route: unknown option, got 'x'",
      ].join('\n'),
    );
  });

  it('describes reasons on one bounded line', () => {
    expect(describeReason('bad\norder')).toBe('bad order');
    expect(describeReason(undefined)).toBe('failed');
    expect(describeReason({ code: 7 })).toBe('{ code: 7 }');
    expect(describeReason('x'.repeat(2000))).toHaveLength(1000);
  });
});
