/**
 * The RabbitMQ producer's options: one zod schema, parsed once in
 * `rabbitmqProducer`, with every default filled in here. The prefetch
 * default depends on the pipeline, so it is resolved in `init` by
 * {@link defaultPrefetch} (tuning.ts).
 */
import { parseOptions, zFunction } from '@sluice/core/options';
import { z } from 'zod';
import { name, positiveInt, positiveMs } from '@sluice/core/options';
import { brokerEnv } from '../env.ts';
import type { AckPolicy, FailurePolicy } from './ack-policy.ts';
import type { RabbitMqChannel, RabbitMqClient } from './client.ts';

/** AMQP properties that `metadata` can ask to copy onto `message.metadata`. */
export const METADATA_FIELDS = [
  'messageId',
  'correlationId',
  'contentType',
  'contentEncoding',
  'timestamp',
  'deliveryMode',
  'priority',
  'replyTo',
  'expiration',
  'type',
  'userId',
  'appId',
  'consumerTag',
] as const;

/** One of {@link METADATA_FIELDS}. */
export type RabbitMqMetadataField = (typeof METADATA_FIELDS)[number];

/** Options of `rabbitmqProducer`. */
export interface RabbitMqProducerOptions {
  /** The queue to consume. */
  readonly queue: string;
  /**
   * The broker's URL, credentials and vhost included.
   * @defaultValue `AMQP_URL`, or `amqp://guest:guest@127.0.0.1:5672`
   */
  readonly url?: string;
  /** How to connect. */
  readonly connection?: {
    /** AMQP heartbeat in seconds (added to the URL); 0 disables it. @defaultValue the broker's (60) */
    readonly heartbeat?: number;
    /**
     * How long connecting and setting up the channel may take, in ms, before
     * the attempt fails (`start()` rejects; later, a reconnect is scheduled).
     * @defaultValue 10000
     */
    readonly timeout?: number;
    /** The connection's name in the management UI. @defaultValue `sluice-<pipeline>-<index>` */
    readonly name?: string;
    /**
     * Passed to amqplib's `connect` as socket options: TLS (`ca`, `cert`,
     * `key`, `passphrase`, `servername`, `rejectUnauthorized`) with an
     * `amqps://` URL, `keepAlive`, `clientProperties`…
     */
    readonly socketOptions?: Readonly<Record<string, unknown>>;
  };
  /** Another implementation of the client seam (a fake in tests). @defaultValue an `AmqplibClient` */
  readonly client?: RabbitMqClient;
  /**
   * basic.qos: at most this many unacknowledged deliveries on the channel.
   * The real back-pressure; see docs/producers/rabbitmq.md, "Tuning".
   * @defaultValue what the processors (and batchers) can hold, between 10 and 1000
   */
  readonly prefetch?: number;
  /** Declare the queue (assertQueue) on every connect. @defaultValue the queue must exist */
  readonly declare?: {
    /** @defaultValue true */
    readonly durable?: boolean;
    readonly exclusive?: boolean;
    readonly autoDelete?: boolean;
    /** e.g. `{ 'x-dead-letter-exchange': 'orders.dlx', 'x-queue-type': 'quorum' }` */
    readonly arguments?: Readonly<Record<string, unknown>>;
  };
  /** Bind the queue to these exchanges on every connect (the exchanges must exist). */
  readonly bindings?: readonly {
    readonly exchange: string;
    /** @defaultValue '' */
    readonly routingKey?: string;
    readonly arguments?: Readonly<Record<string, unknown>>;
  }[];
  /** Runs on every new channel before qos, declare, bind and consume, e.g. to declare exchanges. A throw fails the connect. */
  readonly afterConnect?: (channel: RabbitMqChannel) => void | PromiseLike<void>;
  /** basic.consume options. `noAck: true` acks on delivery: at-most-once, policies ignored. */
  readonly consumeOptions?: {
    readonly consumerTag?: string;
    readonly exclusive?: boolean;
    readonly noAck?: boolean;
    /** e.g. `{ 'x-priority': 10 }` */
    readonly arguments?: Readonly<Record<string, unknown>>;
  };
  /**
   * AMQP properties to copy onto `message.metadata`, besides deliveryTag,
   * redelivered, exchange, routingKey and headers. @defaultValue []
   */
  readonly metadata?: readonly RabbitMqMetadataField[];
  /** What to do with a successful message. @defaultValue 'ack' */
  readonly onSuccess?: AckPolicy;
  /** What to do with a failed message. @defaultValue 'reject' (dead-letters when the queue has a DLX) */
  readonly onFailure?: FailurePolicy;
  /**
   * Delayed retries for `onFailure: 'retry'` (or `configureAck`): the
   * message is republished to `queue` with a per-message TTL and comes back
   * through a dead-letter route; after `maxAttempts` handlings it is rejected.
   */
  readonly retry?: {
    /** Handlings in all, the first included. @defaultValue 3 */
    readonly maxAttempts?: number;
    /** Delay after failure n: `min·2^(n-1)` ms, at most `max`. @defaultValue { min: 1000, max: 60000 } */
    readonly delay?: { readonly min?: number; readonly max?: number };
    /** The retry queue, declared on every connect. @defaultValue `<queue>.retry` */
    readonly queue?: string;
  };
  /** Reconnect backoff, randomized exponential, in ms. @defaultValue { min: 1000, max: 30000 } */
  readonly backoff?: { readonly min?: number; readonly max?: number };
  /**
   * The broker's `consumer_timeout` in ms, to warn at start when the
   * pipeline's timeouts come near it. @defaultValue 1800000 (RabbitMQ's default, 30 min)
   */
  readonly consumerTimeout?: number;
  /**
   * The longest one call to RabbitMQ may take once connected, in ms: the
   * publisher confirms of a retry republish, cancelling the consumer at
   * draining, closing the channel and the connection. A call that outlives
   * it fails with `ERR_BROKER_TIMEOUT`: an unconfirmed republish drops the
   * channel (the broker redelivers the originals), a close that hangs drops
   * the socket. Connecting and setting up is bounded by `connection.timeout`.
   * @defaultValue 10000
   */
  readonly requestTimeout?: number;
}

/** The options with every default filled in. */
export interface ResolvedRabbitMqOptions {
  readonly queue: string;
  readonly url: string;
  readonly heartbeat: number | undefined;
  readonly connectTimeout: number;
  readonly connectionName: string | undefined;
  readonly socketOptions: Readonly<Record<string, unknown>> | undefined;
  readonly client: RabbitMqClient | undefined;
  readonly prefetch: number | undefined;
  readonly declare:
    | {
        readonly durable: boolean;
        readonly exclusive: boolean;
        readonly autoDelete: boolean;
        readonly arguments: Readonly<Record<string, unknown>> | undefined;
      }
    | undefined;
  readonly bindings: readonly {
    readonly exchange: string;
    readonly routingKey: string;
    readonly arguments: Readonly<Record<string, unknown>> | undefined;
  }[];
  readonly afterConnect: ((channel: RabbitMqChannel) => void | PromiseLike<void>) | undefined;
  readonly consume: {
    readonly consumerTag: string | undefined;
    readonly exclusive: boolean;
    readonly noAck: boolean;
    readonly arguments: Readonly<Record<string, unknown>> | undefined;
  };
  readonly metadata: readonly RabbitMqMetadataField[];
  readonly onSuccess: AckPolicy;
  readonly onFailure: FailurePolicy;
  readonly retry:
    | {
        readonly maxAttempts: number;
        readonly delay: { readonly min: number; readonly max: number };
        readonly queue: string;
      }
    | undefined;
  readonly backoff: { readonly min: number; readonly max: number };
  readonly consumerTimeout: number;
  readonly requestTimeout: number;
}

const args = z.record(z.string(), z.unknown(), { error: 'expected an object' });
const policies = ['ack', 'reject', 'requeue', 'requeueOnce'] as const;
const bounds = z
  .object(
    { min: positiveMs.optional(), max: positiveMs.optional() },
    { error: 'expected { min, max }' },
  )
  .strict();

/**
 * The producer's options as a plain object schema, for reuse (the `sluice`
 * CLI extends it for pipeline files). The cross-field rules are in `schema`.
 */
export const rabbitmqOptionsObject = z
  .object({
    queue: name,
    url: z
      .string({ error: 'expected an amqp:// or amqps:// URL' })
      .regex(/^amqps?:\/\//, { error: 'expected an amqp:// or amqps:// URL' })
      .optional(),
    connection: z
      .object({
        heartbeat: z
          .int({ error: 'expected a non-negative integer (seconds)' })
          .nonnegative({ error: 'expected a non-negative integer (seconds)' })
          .optional(),
        timeout: positiveMs.optional(),
        name: name.optional(),
        socketOptions: args.optional(),
      })
      .strict()
      .optional(),
    client: z
      .custom<RabbitMqClient>(
        (v) =>
          typeof v === 'object' &&
          v !== null &&
          typeof (v as Record<string, unknown>)['connect'] === 'function',
        { error: 'expected a RabbitMqClient (an object with a connect function)' },
      )
      .optional(),
    prefetch: z
      .int({ error: 'expected an integer from 1 to 65535' })
      .min(1, { error: 'expected an integer from 1 to 65535' })
      .max(65535, { error: 'expected an integer from 1 to 65535' })
      .optional(),
    declare: z
      .object({
        durable: z.boolean({ error: 'expected a boolean' }).optional(),
        exclusive: z.boolean({ error: 'expected a boolean' }).optional(),
        autoDelete: z.boolean({ error: 'expected a boolean' }).optional(),
        arguments: args.optional(),
      })
      .strict()
      .optional(),
    bindings: z
      .array(
        z
          .object({
            exchange: z.string({ error: 'expected a string' }),
            routingKey: z.string({ error: 'expected a string' }).optional(),
            arguments: args.optional(),
          })
          .strict(),
        { error: 'expected an array of { exchange, routingKey }' },
      )
      .optional(),
    afterConnect: zFunction().optional(),
    consumeOptions: z
      .object({
        consumerTag: name.optional(),
        exclusive: z.boolean({ error: 'expected a boolean' }).optional(),
        noAck: z.boolean({ error: 'expected a boolean' }).optional(),
        arguments: args.optional(),
      })
      .strict()
      .optional(),
    metadata: z.array(z.enum(METADATA_FIELDS), { error: 'expected an array' }).optional(),
    onSuccess: z.enum(policies).optional(),
    onFailure: z.enum([...policies, 'retry']).optional(),
    retry: z
      .object({
        maxAttempts: positiveInt.optional(),
        delay: bounds.optional(),
        queue: name.optional(),
      })
      .strict()
      .optional(),
    backoff: bounds.optional(),
    consumerTimeout: positiveMs.optional(),
    requestTimeout: positiveMs.optional().meta({
      description:
        'The longest one call to RabbitMQ may take once connected, in ms (publisher confirms of a retry, cancel, close); a call that outlives it fails with ERR_BROKER_TIMEOUT. Default 10000.',
    }),
  })
  .strict();

/**
 * The rules across options (`onFailure` needs its settings, one timeout
 * below another), for {@link rabbitmqOptionsObject} and what extends it: the `sluice`
 * CLI's pipeline files apply them too, so a file reports them with their
 * path and line.
 */
export function rabbitmqOptionsRules(
  o: z.output<typeof rabbitmqOptionsObject>,
  ctx: z.RefinementCtx,
): void {
  for (const key of ['backoff', 'retry'] as const) {
    const b = key === 'backoff' ? o.backoff : o.retry?.delay;
    if (b?.min !== undefined && b.max !== undefined && b.min > b.max) {
      ctx.addIssue({
        code: 'custom',
        path: key === 'backoff' ? ['backoff', 'max'] : ['retry', 'delay', 'max'],
        message: `expected at least min (${b.min})`,
      });
    }
  }
  if (o.onFailure === 'retry' && o.retry === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['retry'],
      message: "expected retry settings (e.g. { maxAttempts: 3 }) with onFailure: 'retry'",
    });
  }
  if (o.retry?.queue !== undefined && o.retry.queue === o.queue) {
    ctx.addIssue({
      code: 'custom',
      path: ['retry', 'queue'],
      message: 'expected a queue other than the one consumed',
    });
  }
}

const schema = rabbitmqOptionsObject.superRefine(rabbitmqOptionsRules);

/** Validates `input`, naming every bad option, and fills in the defaults. */
export function resolveOptions(input: RabbitMqProducerOptions): ResolvedRabbitMqOptions {
  const o = parseOptions(schema, input, 'rabbitmq producer options');
  const backoffMin = o.backoff?.min ?? 1000;
  const retryMin = o.retry?.delay?.min ?? 1000;
  return {
    queue: o.queue,
    url: o.url ?? brokerEnv().amqpUrl,
    heartbeat: o.connection?.heartbeat,
    connectTimeout: o.connection?.timeout ?? 10_000,
    connectionName: o.connection?.name,
    socketOptions: o.connection?.socketOptions,
    client: input.client,
    prefetch: o.prefetch,
    declare: o.declare && {
      durable: o.declare.durable ?? true,
      exclusive: o.declare.exclusive ?? false,
      autoDelete: o.declare.autoDelete ?? false,
      arguments: o.declare.arguments,
    },
    bindings: (o.bindings ?? []).map((b) => ({
      exchange: b.exchange,
      routingKey: b.routingKey ?? '',
      arguments: b.arguments,
    })),
    afterConnect: input.afterConnect,
    consume: {
      consumerTag: o.consumeOptions?.consumerTag,
      exclusive: o.consumeOptions?.exclusive ?? false,
      noAck: o.consumeOptions?.noAck ?? false,
      arguments: o.consumeOptions?.arguments,
    },
    metadata: o.metadata ?? [],
    onSuccess: o.onSuccess ?? 'ack',
    onFailure: o.onFailure ?? 'reject',
    retry: o.retry && {
      maxAttempts: o.retry.maxAttempts ?? 3,
      delay: { min: retryMin, max: o.retry.delay?.max ?? Math.max(retryMin, 60_000) },
      queue: o.retry.queue ?? `${o.queue}.retry`,
    },
    backoff: { min: backoffMin, max: o.backoff?.max ?? Math.max(backoffMin, 30_000) },
    consumerTimeout: o.consumerTimeout ?? 1_800_000,
    requestTimeout: o.requestTimeout ?? 10_000,
  };
}

/** `url` with `heartbeat=<s>` in its query, unless the URL already sets one. */
export function withHeartbeat(url: string, heartbeat: number | undefined): string {
  if (heartbeat === undefined || /[?&]heartbeat=/.test(url)) return url;
  return `${url}${url.includes('?') ? '&' : '?'}heartbeat=${heartbeat}`;
}
