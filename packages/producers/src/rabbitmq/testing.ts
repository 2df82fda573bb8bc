/**
 * RabbitMQ fixtures for integration tests: a uniquely named durable queue
 * (optionally with a dead-letter exchange and queue) that is deleted after
 * the test, test messages, and a way to read what is left on a queue.
 * Everything goes through the {@link RabbitMqAdminClient} seam of
 * `@sluice/producers/rabbitmq`; by default an `AmqplibClient` for `AMQP_URL`
 * (the loopback broker of `npm run brokers:up` when that is unset).
 */
import { isBrokerError } from '../errors.ts';
import { brokerEnv } from '../testing/env.ts';
import {
  AmqplibClient,
  type RabbitMqAdminChannel,
  type RabbitMqAdminClient,
  type RabbitMqAdminConnection,
  type RabbitMqMessage,
} from './index.ts';
import { DEFAULT_NAME_PREFIX, uniqueName } from '../testing/names.ts';

/** Options of {@link createTestQueue}. */
export interface CreateRabbitMqTestQueueOptions {
  /** @defaultValue a new `AmqplibClient` */
  readonly client?: RabbitMqAdminClient;
  /** @defaultValue `AMQP_URL`, or `amqp://guest:guest@127.0.0.1:5672` */
  readonly url?: string;
  /** @defaultValue `'sluice-test-'` */
  readonly namePrefix?: string;
  /**
   * Also create a fanout exchange `<name>.dlx` and a queue `<name>.dlq` bound
   * to it, and make it the queue's dead-letter exchange: rejected (without
   * requeue), expired and dropped messages go there.
   */
  readonly deadLetter?: boolean;
  /** More queue arguments, e.g. `{ 'x-queue-type': 'quorum', 'x-delivery-limit': 3 }`. */
  readonly arguments?: Readonly<Record<string, unknown>>;
}

/** A queue made by {@link createTestQueue}. It holds its own connection until `delete()`. */
export interface RabbitMqTestQueue {
  readonly name: string;
  /** The dead-letter exchange and queue, when asked for. */
  readonly deadLetter?: { readonly exchange: string; readonly queue: string };
  /** The fixture's connection, for extra checks (open your own channels on it). */
  readonly connection: RabbitMqAdminConnection;
  /** {@link publishTestMessages} to this queue. */
  publish(
    count: number,
    options?: PublishRabbitMqTestMessagesOptions,
  ): Promise<SentRabbitMqMessage[]>;
  /** {@link readAll} on this queue. */
  readAll(): Promise<RabbitMqMessage[]>;
  /** {@link readAll} on the dead-letter queue. */
  readDeadLettered(): Promise<RabbitMqMessage[]>;
  /** {@link messageCount} of this queue. */
  messageCount(): Promise<number>;
  /**
   * Deletes the queue, the dead-letter queue and exchange, and closes the
   * connection. Safe to call more than once.
   */
  delete(): Promise<void>;
}

/**
 * Creates a durable queue named `sluice-test-<random>` on a new connection.
 * Delete it after the test with `delete()`.
 *
 * @example
 * ```ts
 * const queue = await createTestQueue({ deadLetter: true });
 * afterEach(() => queue.delete());
 * await queue.publish(100);
 * // … run the pipeline …
 * expect(await queue.messageCount()).toBe(0);
 * ```
 */
export async function createTestQueue(
  options: CreateRabbitMqTestQueueOptions = {},
): Promise<RabbitMqTestQueue> {
  const client = options.client ?? new AmqplibClient();
  const connection = await client.connect(options.url ?? brokerEnv().amqpUrl, {
    connectionName: 'sluice-test-fixture',
  });
  const name = uniqueName(options.namePrefix ?? DEFAULT_NAME_PREFIX);
  const deadLetter = options.deadLetter
    ? { exchange: `${name}.dlx`, queue: `${name}.dlq` }
    : undefined;
  const deleteAll = () =>
    withChannel(connection, async (channel) => {
      await channel.deleteQueue(name);
      // The retry queue a producer with onFailure 'retry' declares by default
      // (deleting a queue that does not exist is not an error in RabbitMQ).
      await channel.deleteQueue(`${name}.retry`);
      if (deadLetter) {
        await channel.deleteQueue(deadLetter.queue);
        await channel.deleteExchange(deadLetter.exchange);
      }
    }).finally(() => connection.close());
  try {
    await withChannel(connection, async (channel) => {
      if (deadLetter) {
        await channel.assertExchange(deadLetter.exchange, 'fanout');
        await channel.assertQueue(deadLetter.queue);
        await channel.bindQueue(deadLetter.queue, deadLetter.exchange, '');
      }
      await channel.assertQueue(name, {
        arguments: {
          ...(deadLetter && { 'x-dead-letter-exchange': deadLetter.exchange }),
          ...options.arguments,
        },
      });
    });
  } catch (error) {
    await deleteAll().catch(() => undefined);
    throw error;
  }
  let deleted: Promise<void> | undefined;
  return {
    name,
    ...(deadLetter && { deadLetter }),
    connection,
    publish: (count, publishOptions) =>
      withChannel(
        connection,
        (channel) => publishTestMessages(channel, name, count, publishOptions),
        { confirm: true },
      ),
    readAll: () => withChannel(connection, (channel) => readAll(channel, name)),
    readDeadLettered: () => {
      if (!deadLetter) {
        return Promise.reject(new Error(`test queue ${name} has no dead-letter queue`));
      }
      return withChannel(connection, (channel) => readAll(channel, deadLetter.queue));
    },
    messageCount: () => messageCount(connection, name),
    delete: () => (deleted ??= deleteAll()),
  };
}

/** Options of {@link publishTestMessages}. */
export interface PublishRabbitMqTestMessagesOptions {
  /** The body of message `i` (0-based). @defaultValue `` i => `message-${i}` `` */
  readonly body?: (i: number) => string;
  /** Headers of message `i`. */
  readonly headers?: (i: number) => Readonly<Record<string, unknown>>;
}

/** A message sent by {@link publishTestMessages}. */
export interface SentRabbitMqMessage {
  /** `String(i)`. */
  readonly messageId: string;
  readonly body: string;
}

/**
 * Sends `count` persistent messages to `queue` through the default exchange,
 * with `messageId` `"0"`, `"1"`, …, and waits for the broker's confirms.
 * `channel` must be a confirm channel (`createChannel({ confirm: true })`).
 */
export async function publishTestMessages(
  channel: RabbitMqAdminChannel,
  queue: string,
  count: number,
  options: PublishRabbitMqTestMessagesOptions = {},
): Promise<SentRabbitMqMessage[]> {
  const body = options.body ?? ((i: number) => `message-${i}`);
  const sent: SentRabbitMqMessage[] = [];
  for (let i = 0; i < count; i++) {
    const message = { messageId: String(i), body: body(i) };
    const ready = channel.sendToQueue(queue, Buffer.from(message.body), {
      messageId: message.messageId,
      persistent: true,
      ...(options.headers && { headers: options.headers(i) }),
    });
    sent.push(message);
    if (!ready) await channel.waitForConfirms();
  }
  await channel.waitForConfirms();
  return sent;
}

/**
 * Takes every message left on `queue` with basic.get and acknowledges it,
 * until the queue is empty; resolves to them in queue order. Reading
 * consumes: the messages are gone afterwards. Messages delivered to a
 * consumer and not yet acknowledged are not on the queue, so not returned.
 */
export async function readAll(
  channel: RabbitMqAdminChannel,
  queue: string,
): Promise<RabbitMqMessage[]> {
  const messages: RabbitMqMessage[] = [];
  for (;;) {
    const message = await channel.get(queue);
    if (message === null) return messages;
    messages.push(message);
    channel.ack(message.deliveryTag);
  }
}

/** Messages ready on `queue` (not counting unacknowledged deliveries). */
export function messageCount(connection: RabbitMqAdminConnection, queue: string): Promise<number> {
  return withChannel(connection, async (channel) => (await channel.checkQueue(queue)).messageCount);
}

/** True when `queue` exists. Uses a channel of its own, which a missing queue closes. */
export async function queueExists(
  connection: RabbitMqAdminConnection,
  queue: string,
): Promise<boolean> {
  return exists(connection, (channel) => channel.checkQueue(queue), 'ERR_QUEUE_NOT_FOUND');
}

/** True when `exchange` exists. Uses a channel of its own, which a missing exchange closes. */
export async function exchangeExists(
  connection: RabbitMqAdminConnection,
  exchange: string,
): Promise<boolean> {
  return exists(connection, (channel) => channel.checkExchange(exchange), 'ERR_EXCHANGE_NOT_FOUND');
}

async function exists(
  connection: RabbitMqAdminConnection,
  check: (channel: RabbitMqAdminChannel) => Promise<unknown>,
  missing: 'ERR_QUEUE_NOT_FOUND' | 'ERR_EXCHANGE_NOT_FOUND',
): Promise<boolean> {
  try {
    await withChannel(connection, check);
    return true;
  } catch (error) {
    if (isBrokerError(error, missing)) return false;
    throw error;
  }
}

/** Runs `run` on a new channel and closes it (a failed operation may already have). */
async function withChannel<T>(
  connection: RabbitMqAdminConnection,
  run: (channel: RabbitMqAdminChannel) => Promise<T>,
  options: { readonly confirm?: boolean } = {},
): Promise<T> {
  const channel = await connection.createChannel(options);
  try {
    return await run(channel);
  } finally {
    await channel.close().catch((error: unknown) => {
      if (!isBrokerError(error, 'ERR_BROKER_CLOSED')) throw error;
    });
  }
}

export { DEFAULT_NAME_PREFIX, uniqueName } from '../testing/names.ts';
