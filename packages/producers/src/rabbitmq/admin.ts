/**
 * The admin seam: what the RabbitMQ test fixtures, examples and tools call
 * besides the consumer seam (client.ts): checking and deleting queues and
 * exchanges, reading with basic.get. The
 * producer never calls these. `AmqplibClient` implements it.
 */
import type {
  RabbitMqChannel,
  RabbitMqClient,
  RabbitMqConnection,
  RabbitMqMessage,
  RabbitMqQueueInfo,
} from './client.ts';

/** Opens connections whose channels carry the admin calls too. */
export interface RabbitMqAdminClient extends RabbitMqClient {
  connect(
    url: string,
    options?: { readonly connectionName?: string },
  ): Promise<RabbitMqAdminConnection>;
}

/** A connection whose channels carry the admin calls too. */
export interface RabbitMqAdminConnection extends RabbitMqConnection {
  createChannel(options?: { readonly confirm?: boolean }): Promise<RabbitMqAdminChannel>;
}

/** A channel with the consumer calls and the admin calls. */
export interface RabbitMqAdminChannel extends RabbitMqChannel {
  /** Fails with `ERR_QUEUE_NOT_FOUND` (closing this channel) when the queue does not exist. */
  checkQueue(queue: string): Promise<RabbitMqQueueInfo>;
  /** Resolves to the number of messages deleted with the queue; a missing queue is not an error. */
  deleteQueue(
    queue: string,
    options?: { readonly ifUnused?: boolean; readonly ifEmpty?: boolean },
  ): Promise<number>;
  /** Resolves to the number of messages purged. */
  purgeQueue(queue: string): Promise<number>;
  /** Fails with `ERR_EXCHANGE_NOT_FOUND` (closing this channel) when the exchange does not exist. */
  checkExchange(exchange: string): Promise<void>;
  deleteExchange(exchange: string): Promise<void>;
  /** basic.get: the next message, or `null` when the queue is empty. */
  get(queue: string, options?: { readonly noAck?: boolean }): Promise<RabbitMqMessage | null>;
}
