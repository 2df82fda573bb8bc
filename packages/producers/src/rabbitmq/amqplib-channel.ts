/**
 * One amqplib channel behind the RabbitMQ seams (see amqplib-client.ts):
 * the consumer calls, the admin calls, and the mapping of messages and
 * publish options between amqplib and the seams.
 */
import type { Channel, ConfirmChannel, Message } from 'amqplib';
import { BrokerError } from '../errors.ts';
import type { RabbitMqAdminChannel } from './admin.ts';
import { ignore, isClosedError, toBrokerError } from './amqplib-errors.ts';
import type {
  RabbitMqConsumeOptions,
  RabbitMqExchangeOptions,
  RabbitMqExchangeType,
  RabbitMqMessage,
  RabbitMqPublishOptions,
  RabbitMqQueueInfo,
  RabbitMqQueueOptions,
} from './client.ts';

/** An amqplib channel as a {@link RabbitMqAdminChannel}. */
export class AmqplibChannel implements RabbitMqAdminChannel {
  readonly #channel: Channel;
  readonly #confirm: boolean;

  constructor(channel: Channel, confirm: boolean) {
    this.#channel = channel;
    this.#confirm = confirm;
    channel.on('error', ignore);
  }

  assertQueue(queue: string, options: RabbitMqQueueOptions = {}): Promise<RabbitMqQueueInfo> {
    return this.#call('assertQueue', `queue ${queue}`, async () => {
      const ok = await this.#channel.assertQueue(queue, {
        durable: options.durable ?? true,
        exclusive: options.exclusive ?? false,
        autoDelete: options.autoDelete ?? false,
        ...(options.arguments && { arguments: { ...options.arguments } }),
      });
      return { queue: ok.queue, messageCount: ok.messageCount, consumerCount: ok.consumerCount };
    });
  }

  checkQueue(queue: string): Promise<RabbitMqQueueInfo> {
    return this.#call('checkQueue', `queue ${queue}`, async () => {
      const ok = await this.#channel.checkQueue(queue);
      return { queue: ok.queue, messageCount: ok.messageCount, consumerCount: ok.consumerCount };
    });
  }

  deleteQueue(
    queue: string,
    options: { readonly ifUnused?: boolean; readonly ifEmpty?: boolean } = {},
  ): Promise<number> {
    return this.#call('deleteQueue', `queue ${queue}`, async () => {
      const ok = await this.#channel.deleteQueue(queue, { ...options });
      return ok.messageCount;
    });
  }

  purgeQueue(queue: string): Promise<number> {
    return this.#call('purgeQueue', `queue ${queue}`, async () => {
      const ok = await this.#channel.purgeQueue(queue);
      return ok.messageCount;
    });
  }

  async assertExchange(
    exchange: string,
    type: RabbitMqExchangeType,
    options: RabbitMqExchangeOptions = {},
  ): Promise<void> {
    await this.#call('assertExchange', `exchange ${exchange}`, () =>
      this.#channel.assertExchange(exchange, type, {
        durable: options.durable ?? true,
        autoDelete: options.autoDelete ?? false,
        internal: options.internal ?? false,
        ...(options.arguments && { arguments: { ...options.arguments } }),
      }),
    );
  }

  async checkExchange(exchange: string): Promise<void> {
    await this.#call('checkExchange', `exchange ${exchange}`, () =>
      this.#channel.checkExchange(exchange),
    );
  }

  async deleteExchange(exchange: string): Promise<void> {
    await this.#call('deleteExchange', `exchange ${exchange}`, () =>
      this.#channel.deleteExchange(exchange),
    );
  }

  async bindQueue(
    queue: string,
    exchange: string,
    routingKey: string,
    args?: Readonly<Record<string, unknown>>,
  ): Promise<void> {
    await this.#call('bindQueue', `queue ${queue}`, () =>
      this.#channel.bindQueue(queue, exchange, routingKey, args && { ...args }),
    );
  }

  publish(
    exchange: string,
    routingKey: string,
    content: Buffer,
    options: RabbitMqPublishOptions = {},
  ): boolean {
    try {
      return this.#channel.publish(exchange, routingKey, content, toPublishOptions(options));
    } catch (error) {
      throw toBrokerError(error, 'publish', `exchange ${exchange || '(default)'}`);
    }
  }

  sendToQueue(queue: string, content: Buffer, options: RabbitMqPublishOptions = {}): boolean {
    try {
      return this.#channel.sendToQueue(queue, content, toPublishOptions(options));
    } catch (error) {
      throw toBrokerError(error, 'sendToQueue', `queue ${queue}`);
    }
  }

  async waitForConfirms(): Promise<void> {
    if (!this.#confirm) {
      throw new BrokerError(
        'ERR_BROKER_REQUEST',
        'rabbitmq',
        'waitForConfirms needs a channel created with { confirm: true }',
      );
    }
    await this.#call('waitForConfirms', 'channel', () =>
      (this.#channel as ConfirmChannel).waitForConfirms(),
    );
  }

  get(queue: string, options: { readonly noAck?: boolean } = {}): Promise<RabbitMqMessage | null> {
    return this.#call('get', `queue ${queue}`, async () => {
      const message = await this.#channel.get(queue, { noAck: options.noAck ?? false });
      return message === false ? null : toMessage(message);
    });
  }

  consume(
    queue: string,
    onMessage: (message: RabbitMqMessage | null) => void,
    options: RabbitMqConsumeOptions = {},
  ): Promise<{ consumerTag: string }> {
    return this.#call('consume', `queue ${queue}`, async () => {
      const ok = await this.#channel.consume(
        queue,
        (message) => {
          onMessage(message === null ? null : toMessage(message));
        },
        {
          noAck: options.noAck ?? false,
          exclusive: options.exclusive ?? false,
          ...(options.consumerTag !== undefined && { consumerTag: options.consumerTag }),
          ...(options.arguments && { arguments: { ...options.arguments } }),
        },
      );
      return { consumerTag: ok.consumerTag };
    });
  }

  async cancel(consumerTag: string): Promise<void> {
    await this.#call('cancel', `consumer ${consumerTag}`, () => this.#channel.cancel(consumerTag));
  }

  async prefetch(count: number): Promise<void> {
    await this.#call('prefetch', 'channel', () => this.#channel.prefetch(count));
  }

  ack(deliveryTag: number, options: { readonly multiple?: boolean } = {}): void {
    this.#settle('ack', () => {
      this.#channel.ack(byTag(deliveryTag), options.multiple ?? false);
    });
  }

  nack(
    deliveryTag: number,
    options: { readonly multiple?: boolean; readonly requeue?: boolean } = {},
  ): void {
    this.#settle('nack', () => {
      this.#channel.nack(byTag(deliveryTag), options.multiple ?? false, options.requeue ?? true);
    });
  }

  reject(deliveryTag: number, options: { readonly requeue?: boolean } = {}): void {
    this.#settle('reject', () => {
      this.#channel.reject(byTag(deliveryTag), options.requeue ?? true);
    });
  }

  async close(): Promise<void> {
    try {
      await this.#channel.close();
    } catch (error) {
      if (!isClosedError(error)) throw toBrokerError(error, 'close', 'channel');
    }
  }

  on(event: 'close' | 'drain' | 'error', listener: (error: Error) => void): void {
    this.#channel.on(event, listener);
  }

  #settle(operation: string, run: () => void): void {
    try {
      run();
    } catch (error) {
      throw toBrokerError(error, operation, 'channel');
    }
  }

  async #call<T>(operation: string, subject: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw toBrokerError(error, operation, subject);
    }
  }
}

/** amqplib acknowledges by `message.fields.deliveryTag` and reads nothing else. */
function byTag(deliveryTag: number): Message {
  return { fields: { deliveryTag } } as Message;
}

function toPublishOptions(options: RabbitMqPublishOptions) {
  return {
    ...(options.messageId !== undefined && { messageId: options.messageId }),
    ...(options.headers && { headers: { ...options.headers } }),
    ...(options.persistent !== undefined && { persistent: options.persistent }),
    ...(options.contentType !== undefined && { contentType: options.contentType }),
    ...(options.correlationId !== undefined && { correlationId: options.correlationId }),
    ...(options.expiration !== undefined && { expiration: options.expiration }),
    ...(options.priority !== undefined && { priority: options.priority }),
    ...(options.timestamp !== undefined && { timestamp: options.timestamp }),
    ...(options.contentEncoding !== undefined && { contentEncoding: options.contentEncoding }),
    ...(options.type !== undefined && { type: options.type }),
    ...(options.appId !== undefined && { appId: options.appId }),
    ...(options.replyTo !== undefined && { replyTo: options.replyTo }),
  };
}

function toMessage(message: Message): RabbitMqMessage {
  const p = message.properties;
  return {
    content: message.content,
    deliveryTag: message.fields.deliveryTag,
    redelivered: message.fields.redelivered,
    exchange: message.fields.exchange,
    routingKey: message.fields.routingKey,
    headers: { ...(p.headers as Record<string, unknown> | undefined) },
    ...(typeof p.messageId === 'string' && { messageId: p.messageId }),
    ...(typeof p.correlationId === 'string' && { correlationId: p.correlationId }),
    ...(typeof p.contentType === 'string' && { contentType: p.contentType }),
    ...(typeof p.timestamp === 'number' && { timestamp: p.timestamp }),
    ...(typeof p.contentEncoding === 'string' && { contentEncoding: p.contentEncoding }),
    ...(typeof p.deliveryMode === 'number' && { deliveryMode: p.deliveryMode }),
    ...(typeof p.priority === 'number' && { priority: p.priority }),
    ...(typeof p.replyTo === 'string' && { replyTo: p.replyTo }),
    ...(typeof p.expiration === 'string' && { expiration: p.expiration }),
    ...(typeof p.type === 'string' && { type: p.type }),
    ...(typeof p.userId === 'string' && { userId: p.userId }),
    ...(typeof p.appId === 'string' && { appId: p.appId }),
    ...(typeof (message.fields as { consumerTag?: unknown }).consumerTag === 'string' && {
      consumerTag: (message.fields as { consumerTag: string }).consumerTag,
    }),
  };
}
