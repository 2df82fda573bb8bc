import { EventEmitter } from 'node:events';
import type { ChannelModel } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { BrokerError } from '../../src/errors.ts';
import { AmqplibClient } from '../../src/rabbitmq/amqplib-client.ts';

/** Errors shaped as amqplib 2.3 rejects with. */
function channelClosed(code: number, text: string): Error {
  return Object.assign(
    new Error(`Operation failed: QueueDeclare; ${code} (NOT-FOUND) with message "${text}"`),
    {
      code,
      classId: 50,
      methodId: 10,
    },
  );
}

function illegalOperation(): Error {
  return Object.assign(new Error('Channel closed'), { name: 'IllegalOperationError' });
}

/** An amqplib connection whose channels run `channel`'s methods. */
function fakeConnect(channel: Record<string, unknown>) {
  const calls: unknown[][] = [];
  const makeChannel = () =>
    Object.assign(new EventEmitter(), {
      close: () => Promise.resolve(),
      ...channel,
      ack: (...args: unknown[]) => calls.push(['ack', ...args]),
      nack: (...args: unknown[]) => calls.push(['nack', ...args]),
    });
  const model = Object.assign(new EventEmitter(), {
    createChannel: () => Promise.resolve(makeChannel()),
    createConfirmChannel: () => Promise.resolve(makeChannel()),
    close: () => Promise.reject(illegalOperation()),
  });
  return { connect: () => Promise.resolve(model as unknown as ChannelModel), calls, model };
}

async function rejection(promise: Promise<unknown>): Promise<BrokerError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BrokerError);
  return error as BrokerError;
}

describe('AmqplibClient', () => {
  it('reports a refused connection as ERR_BROKER_UNREACHABLE, without the password', async () => {
    const error = await rejection(new AmqplibClient().connect('amqp://guest:s3cret@127.0.0.1:1'));
    expect(error.code).toBe('ERR_BROKER_UNREACHABLE');
    expect(error.broker).toBe('rabbitmq');
    expect(error.message).toMatch(
      /^cannot reach RabbitMQ at amqp:\/\/guest:\[redacted\]@127\.0\.0\.1:1: .*ECONNREFUSED/,
    );
    expect(error.message).not.toContain('s3cret');
  });

  it('reports a refused login as ERR_BROKER_REQUEST', async () => {
    const refused = new Error(
      'Handshake terminated by server: 403 (ACCESS-REFUSED) with message "ACCESS_REFUSED - Login was refused"',
    );
    const client = new AmqplibClient({ connect: () => Promise.reject(refused) });
    const error = await rejection(client.connect('amqp://u:p@rabbit:5672'));
    expect(error.code).toBe('ERR_BROKER_REQUEST');
    expect(error.message).toMatch(
      /^RabbitMQ at amqp:\/\/u:\[redacted\]@rabbit:5672 refused the connection: /,
    );
    expect(error.cause).toBe(refused);
  });

  it('reports a missing queue as ERR_QUEUE_NOT_FOUND, naming the queue', async () => {
    const { connect } = fakeConnect({
      checkQueue: () =>
        Promise.reject(channelClosed(404, "NOT_FOUND - no queue 'orders' in vhost '/'")),
    });
    const channel = await (
      await new AmqplibClient({ connect }).connect('amqp://h')
    ).createChannel();
    const error = await rejection(channel.checkQueue('orders'));
    expect(error.code).toBe('ERR_QUEUE_NOT_FOUND');
    expect(error.message).toBe('RabbitMQ queue orders does not exist (checkQueue)');
  });

  it('reports a missing exchange as ERR_EXCHANGE_NOT_FOUND, even from bindQueue', async () => {
    const { connect } = fakeConnect({
      bindQueue: () =>
        Promise.reject(channelClosed(404, "NOT_FOUND - no exchange 'orders.dlx' in vhost '/'")),
    });
    const channel = await (
      await new AmqplibClient({ connect }).connect('amqp://h')
    ).createChannel();
    const error = await rejection(channel.bindQueue('orders', 'orders.dlx', ''));
    expect(error.code).toBe('ERR_EXCHANGE_NOT_FOUND');
    expect(error.message).toBe('RabbitMQ exchange orders.dlx does not exist (bindQueue)');
  });

  it('reports use of a closed channel as ERR_BROKER_CLOSED', async () => {
    const { connect } = fakeConnect({
      sendToQueue: () => {
        throw illegalOperation();
      },
    });
    const channel = await (
      await new AmqplibClient({ connect }).connect('amqp://h')
    ).createChannel();
    expect(() => channel.sendToQueue('orders', Buffer.from('x'))).toThrow(
      expect.objectContaining({ code: 'ERR_BROKER_CLOSED' }),
    );
  });

  it('acknowledges by delivery tag', async () => {
    const { connect, calls } = fakeConnect({});
    const channel = await (
      await new AmqplibClient({ connect }).connect('amqp://h')
    ).createChannel();
    channel.ack(7, { multiple: true });
    channel.nack(8, { requeue: false });
    expect(calls).toEqual([
      ['ack', { fields: { deliveryTag: 7 } }, true],
      ['nack', { fields: { deliveryTag: 8 } }, false, false],
    ]);
  });

  it('survives connection and channel errors nobody listens to, and closes idempotently', async () => {
    const { connect, model } = fakeConnect({});
    const connection = await new AmqplibClient({ connect }).connect('amqp://h');
    await connection.createChannel();
    model.emit('error', new Error('heartbeat timeout'));
    await expect(connection.close()).resolves.toBeUndefined();
  });

  it('refuses waitForConfirms on a channel without confirms', async () => {
    const { connect } = fakeConnect({});
    const channel = await (
      await new AmqplibClient({ connect }).connect('amqp://h')
    ).createChannel();
    expect((await rejection(channel.waitForConfirms())).message).toBe(
      'waitForConfirms needs a channel created with { confirm: true }',
    );
  });
});
