/**
 * The consumer seam between the RabbitMQ producer and an AMQP 0-9-1 client
 * library: connections and channels, with only what the producer calls (and
 * `afterConnect` may, to declare exchanges). The test fixtures' extra calls
 * are on the admin seam (admin.ts). `AmqplibClient` implements both with
 * amqplib; tests can implement this one in memory.
 *
 * Acknowledgements take the delivery tag, as on the wire. Failures reject (or,
 * for the synchronous calls, throw) a `BrokerError`: `ERR_BROKER_UNREACHABLE`,
 * `ERR_BROKER_CLOSED` (open a new channel or connection), `ERR_QUEUE_NOT_FOUND`,
 * `ERR_EXCHANGE_NOT_FOUND` or `ERR_BROKER_REQUEST`. As in AMQP, a failed
 * channel operation closes that channel; the connection stays usable.
 */

/** Opens connections. */
export interface RabbitMqClient {
  connect(url: string, options?: { readonly connectionName?: string }): Promise<RabbitMqConnection>;
}

/** One AMQP connection. `close` fires once, with an error unless closed on purpose. */
export interface RabbitMqConnection {
  /** A new channel; with `confirm: true`, publishes are confirmed ({@link RabbitMqChannel.waitForConfirms}). */
  createChannel(options?: { readonly confirm?: boolean }): Promise<RabbitMqChannel>;
  close(): Promise<void>;
  /**
   * Drops the socket at once, without the AMQP close handshake: for a
   * broker that did not answer `close()` in time. Optional; without it the
   * socket is left to the heartbeat.
   */
  destroy?(): void;
  on(event: 'close', listener: (error?: Error) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
}

/** One channel. */
export interface RabbitMqChannel {
  assertQueue(queue: string, options?: RabbitMqQueueOptions): Promise<RabbitMqQueueInfo>;
  /** For `afterConnect`, to declare the exchanges that `bindings` name. */
  assertExchange(
    exchange: string,
    type: RabbitMqExchangeType,
    options?: RabbitMqExchangeOptions,
  ): Promise<void>;
  bindQueue(
    queue: string,
    exchange: string,
    routingKey: string,
    args?: Readonly<Record<string, unknown>>,
  ): Promise<void>;
  /**
   * Publishes to `queue` through the default exchange (a retry republish).
   * False when the write buffer is full: wait for `drain` before publishing more.
   */
  sendToQueue(queue: string, content: Buffer, options?: RabbitMqPublishOptions): boolean;
  /**
   * Publishes through `exchange` (a dead letter, on a confirm channel of its
   * own). False when the write buffer is full: wait for `drain`.
   */
  publish(
    exchange: string,
    routingKey: string,
    content: Buffer,
    options?: RabbitMqPublishOptions,
  ): boolean;
  /** Resolves once the broker confirmed every publish so far (confirm channels only). */
  waitForConfirms(): Promise<void>;
  /** `onMessage(null)` means the broker cancelled the consumer (e.g. the queue was deleted). */
  consume(
    queue: string,
    onMessage: (message: RabbitMqMessage | null) => void,
    options?: RabbitMqConsumeOptions,
  ): Promise<{ consumerTag: string }>;
  cancel(consumerTag: string): Promise<void>;
  /** At most `count` unacknowledged deliveries per consumer on this channel. */
  prefetch(count: number): Promise<void>;
  ack(deliveryTag: number, options?: { readonly multiple?: boolean }): void;
  /** @defaultValue requeue: true */
  nack(
    deliveryTag: number,
    options?: { readonly multiple?: boolean; readonly requeue?: boolean },
  ): void;
  /** @defaultValue requeue: true */
  reject(deliveryTag: number, options?: { readonly requeue?: boolean }): void;
  close(): Promise<void>;
  on(event: 'close' | 'drain', listener: () => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
}

/** Queue options. Put `x-` arguments (`x-dead-letter-exchange`, `x-queue-type`, ...) in `arguments`. */
export interface RabbitMqQueueOptions {
  /** @defaultValue true */
  readonly durable?: boolean;
  readonly exclusive?: boolean;
  readonly autoDelete?: boolean;
  readonly arguments?: Readonly<Record<string, unknown>>;
}

/** What assertQueue and checkQueue report. */
export interface RabbitMqQueueInfo {
  readonly queue: string;
  /** Messages ready for delivery (not those delivered and unacknowledged). */
  readonly messageCount: number;
  readonly consumerCount: number;
}

/** The AMQP exchange types RabbitMQ ships with. */
export type RabbitMqExchangeType = 'direct' | 'fanout' | 'topic' | 'headers';

/** Exchange options. */
export interface RabbitMqExchangeOptions {
  /** @defaultValue true */
  readonly durable?: boolean;
  readonly autoDelete?: boolean;
  readonly internal?: boolean;
  readonly arguments?: Readonly<Record<string, unknown>>;
}

/** Message properties set when publishing. */
export interface RabbitMqPublishOptions {
  readonly messageId?: string;
  readonly headers?: Readonly<Record<string, unknown>>;
  /** Written to disk by durable queues. */
  readonly persistent?: boolean;
  readonly contentType?: string;
  readonly correlationId?: string;
  /** Per-message TTL in milliseconds. */
  readonly expiration?: number;
  readonly priority?: number;
  /** Seconds since the epoch. */
  readonly timestamp?: number;
  readonly contentEncoding?: string;
  readonly type?: string;
  readonly appId?: string;
  readonly replyTo?: string;
}

/** Consumer options. */
export interface RabbitMqConsumeOptions {
  readonly consumerTag?: string;
  readonly noAck?: boolean;
  readonly exclusive?: boolean;
  readonly arguments?: Readonly<Record<string, unknown>>;
}

/** A delivered message, from `get` or `consume`. */
export interface RabbitMqMessage {
  readonly content: Buffer;
  readonly deliveryTag: number;
  readonly redelivered: boolean;
  readonly exchange: string;
  readonly routingKey: string;
  readonly messageId?: string;
  readonly correlationId?: string;
  readonly contentType?: string;
  readonly timestamp?: number;
  readonly contentEncoding?: string;
  /** 2 for persistent messages, 1 (or absent) for transient ones. */
  readonly deliveryMode?: number;
  readonly priority?: number;
  readonly replyTo?: string;
  /** The per-message TTL it was published with, in ms, as a string (AMQP's encoding). */
  readonly expiration?: string;
  readonly type?: string;
  readonly userId?: string;
  readonly appId?: string;
  /** The consumer it was delivered to (absent for basic.get). */
  readonly consumerTag?: string;
  /** Includes `x-death` when the message was dead-lettered. */
  readonly headers: Readonly<Record<string, unknown>>;
}
