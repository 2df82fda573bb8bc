/**
 * The RabbitMQ producer's options: one zod schema, the one place where each
 * option's default and description are written. The types are derived from
 * it. The prefetch default depends on the pipeline, so `init` resolves it
 * (tuning.ts); the connection name's depends on the producer instance.
 */
import { z } from 'zod';
import { name, parseOptions, positiveInt, positiveMs, zFunction } from '@sluice/core/options';
import { backoff } from './backoff-option.ts';
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

/** The failure policies; every policy but `'retry'` also applies to successes. */
export const failurePolicy = z.enum(['ack', 'reject', 'requeue', 'requeueOnce', 'retry']);
/** The ack policies: the failure policies without `'retry'`. */
export const ackPolicy = failurePolicy.exclude(['retry']);

/** What to do with a message: see `onSuccess` in docs/producers/rabbitmq.md. */
export type AckPolicy = z.infer<typeof ackPolicy>;
/** An {@link AckPolicy}, or `'retry'`: see `onFailure` in docs/producers/rabbitmq.md. */
export type FailurePolicy = z.infer<typeof failurePolicy>;

const POLICIES =
  "`'ack'` (basic.ack), `'reject'` (without requeue: dead-lettered when the queue has a dead-letter exchange, else dropped), `'requeue'` (delivered again, possibly at once) or `'requeueOnce'` (requeue unless already redelivered, then reject)";

const args = z.record(z.string(), z.unknown(), { error: 'expected an object' });
const bool = z.boolean({ error: 'expected a boolean' });

/**
 * The producer's options as a plain object schema, for reuse (the `sluice`
 * CLI extends it for pipeline files). The cross-field rules are in
 * {@link rabbitmqOptionsRules}, the cross-field defaults in
 * {@link rabbitmqOptionsSchema}.
 */
export const rabbitmqOptionsObject = z
  .object({
    queue: name.meta({ description: 'The queue to consume.' }),
    url: z
      .string({ error: 'expected an amqp:// or amqps:// URL' })
      .regex(/^amqps?:\/\//, { error: 'expected an amqp:// or amqps:// URL' })
      .optional()
      .meta({
        description:
          "The broker's URL, credentials and vhost included. Default: the `AMQP_URL` environment variable; with neither, the options are refused.",
      }),
    connection: z
      .object({
        heartbeat: z
          .int({ error: 'expected a non-negative integer (seconds)' })
          .nonnegative({ error: 'expected a non-negative integer (seconds)' })
          .optional()
          .meta({
            description:
              "AMQP heartbeat in seconds, added to the URL; 0 disables it. Default: the broker's (60).",
          }),
        timeout: positiveMs.default(10_000).meta({
          description:
            'How long connecting and setting up the channel may take, in ms, before the attempt fails (`start()` rejects; later, another reconnect is scheduled).',
        }),
        name: name.optional().meta({
          description:
            "The connection's name in the management UI. Default `sluice-<pipeline>-<index>`.",
        }),
        socketOptions: args.optional().meta({
          description:
            "Passed to amqplib's `connect`: TLS (`ca`, `cert`, `key`, `passphrase`, `servername`, `rejectUnauthorized`) with an `amqps://` URL, `keepAlive`, `clientProperties`…",
        }),
      })
      .strict()
      .prefault({})
      .meta({ description: 'How to connect.' }),
    client: z
      .custom<RabbitMqClient>(
        (v) =>
          typeof v === 'object' &&
          v !== null &&
          typeof (v as Record<string, unknown>)['connect'] === 'function',
        { error: 'expected a RabbitMqClient (an object with a connect function)' },
      )
      .optional()
      .meta({
        description:
          'Another implementation of the client seam (a fake in tests). Default: amqplib.',
      }),
    prefetch: z
      .int({ error: 'expected an integer from 1 to 65535' })
      .min(1, { error: 'expected an integer from 1 to 65535' })
      .max(65535, { error: 'expected an integer from 1 to 65535' })
      .optional()
      .meta({
        description:
          'basic.qos: at most this many unacknowledged deliveries on the channel, the real back-pressure. Default: what the processors and batchers can hold, between 10 and 1000.',
      }),
    declare: z
      .object({
        durable: bool.default(true).meta({ description: 'The queue survives a broker restart.' }),
        exclusive: bool.default(false).meta({ description: 'Only this connection may use it.' }),
        autoDelete: bool
          .default(false)
          .meta({ description: 'Deleted when its last consumer goes.' }),
        arguments: args.optional().meta({
          description:
            "Queue arguments, e.g. `{ 'x-dead-letter-exchange': 'orders.dlx', 'x-queue-type': 'quorum' }`.",
        }),
      })
      .strict()
      .optional()
      .meta({
        description: 'Declare the queue (assertQueue) on every connect. Default: it must exist.',
      }),
    bindings: z
      .array(
        z
          .object({
            exchange: z
              .string({ error: 'expected a string' })
              .meta({ description: 'The exchange; it must exist.' }),
            routingKey: z
              .string({ error: 'expected a string' })
              .default('')
              .meta({ description: 'The binding key.' }),
            arguments: args.optional().meta({ description: 'Binding arguments.' }),
          })
          .strict(),
        { error: 'expected an array of { exchange, routingKey }' },
      )
      .readonly()
      .default([])
      .meta({
        description:
          'Bind the queue to these exchanges on every connect (declare the exchanges in `afterConnect`).',
      }),
    afterConnect: zFunction<(channel: RabbitMqChannel) => void | PromiseLike<void>>()
      .optional()
      .meta({
        description:
          'Runs on every new channel before qos, declare, bind and consume, e.g. to declare exchanges. A throw fails that connect.',
      }),
    consumeOptions: z
      .object({
        consumerTag: name
          .optional()
          .meta({ description: "The consumer's tag. Default: the broker's." }),
        exclusive: bool.default(false).meta({ description: 'The only consumer of the queue.' }),
        noAck: bool.default(false).meta({
          description: 'Acked on delivery: at-most-once, and the ack policies are ignored.',
        }),
        arguments: args
          .optional()
          .meta({ description: "Consumer arguments, e.g. `{ 'x-priority': 10 }`." }),
      })
      .strict()
      .prefault({})
      .meta({ description: 'basic.consume options.' }),
    metadata: z
      .array(z.enum(METADATA_FIELDS), { error: 'expected an array' })
      .readonly()
      .default([])
      .meta({
        description:
          'AMQP properties to copy onto `message.metadata`, besides deliveryTag, redelivered, exchange, routingKey and headers.',
      }),
    onSuccess: ackPolicy
      .default('ack')
      .meta({ description: `What to do with a successful message: ${POLICIES}.` }),
    onFailure: failurePolicy.default('reject').meta({
      description: `What to do with a failed message: ${POLICIES}, or \`'retry'\` (delayed retries, see \`retry\`).`,
    }),
    deadLetter: z
      .object({
        exchange: z.string({ error: 'expected a string (an exchange name)' }).optional().meta({
          description:
            "The queue's dead-letter exchange. Default: `declare.arguments['x-dead-letter-exchange']`; give it when a policy sets the queue's dead-letter exchange. `''` is the default exchange.",
        }),
        routingKey: z.string({ error: 'expected a string' }).optional().meta({
          description:
            "The dead letters' routing key. Default: `declare.arguments['x-dead-letter-routing-key']`, else the message's own routing key (as the broker does).",
        }),
        publish: bool.default(true).meta({
          description:
            'With a dead-letter exchange known, a message rejected for good is published there by Sluice with `sluice-failure-reason`, `sluice-attempts` and `sluice-source-queue` headers, and acked once the broker confirmed it (a failed publish falls back to basic.reject). `false`: basic.reject only, and the dead letter carries only `x-death`.',
        }),
      })
      .strict()
      .prefault({})
      .meta({
        description:
          'Dead letters that say why: where a rejected message goes and whether Sluice publishes it there itself.',
      }),
    retry: z
      .object({
        maxAttempts: positiveInt.default(3).meta({
          description:
            'Handlings in all, the first included: a message that fails this many times is rejected.',
        }),
        delay: backoff('retry.delay', 'SLUICE_DEP_RABBITMQ_RETRY_DELAY_MIN', 1000, 60_000)
          .prefault({})
          .meta({
            description:
              'The wait after failure n: `initial·2^(n-1)` ms, at most `max` (deterministic, so a retry queue expires in order).',
          }),
        queue: name.optional().meta({
          description: 'The retry queue, declared on every connect. Default `<queue>.retry`.',
        }),
      })
      .strict()
      .optional()
      .meta({
        description:
          "Delayed retries for `onFailure: 'retry'`: a failed message is republished to the retry queue with a per-message TTL and comes back through a dead-letter route.",
      }),
    backoff: backoff('backoff', 'SLUICE_DEP_RABBITMQ_BACKOFF_MIN', 1000, 30_000).prefault({}).meta({
      description:
        'Reconnect backoff in ms: attempt n waits between half and all of `initial·2^(n-1)`, at most `max`.',
    }),
    consumerTimeout: positiveMs.default(1_800_000).meta({
      description:
        "The broker's `consumer_timeout` in ms (RabbitMQ's default is 30 min), to warn at start when the pipeline's timeouts come near it.",
    }),
    requestTimeout: positiveMs.default(10_000).meta({
      description:
        'The longest one call to RabbitMQ may take once connected, in ms (publisher confirms of a retry, cancel, close); a call that outlives it fails with ERR_BROKER_TIMEOUT.',
    }),
  })
  .strict();

/**
 * The rules across options (`onFailure: 'retry'` needs its settings, the
 * retry queue is another queue), for {@link rabbitmqOptionsObject} and what
 * extends it: the `sluice` CLI's pipeline files apply them too, so a file
 * reports them with their path and line.
 */
export function rabbitmqOptionsRules(
  o: z.output<typeof rabbitmqOptionsObject>,
  ctx: z.RefinementCtx,
): void {
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

/** The producer's whole schema: the object, its rules, and the defaults computed from other options. */
export const rabbitmqOptionsSchema = rabbitmqOptionsObject
  .superRefine(rabbitmqOptionsRules)
  .transform((o, ctx) => {
    const env = process.env['AMQP_URL']?.trim();
    const url = o.url ?? (env === '' ? undefined : env);
    if (url === undefined || !/^amqps?:\/\//.test(url)) {
      ctx.issues.push({
        code: 'custom',
        path: ['url'],
        message:
          url === undefined
            ? 'expected an amqp:// or amqps:// URL: give url, or set AMQP_URL'
            : 'expected an amqp:// or amqps:// URL in AMQP_URL (url is not given)',
        input: o.url,
      });
      return z.NEVER;
    }
    const args = o.declare?.arguments ?? {};
    const dlx = o.deadLetter.exchange ?? args['x-dead-letter-exchange'];
    const dlKey = o.deadLetter.routingKey ?? args['x-dead-letter-routing-key'];
    return {
      ...o,
      url,
      deadLetter: {
        publish: o.deadLetter.publish,
        exchange: typeof dlx === 'string' ? dlx : undefined,
        routingKey: typeof dlKey === 'string' ? dlKey : undefined,
      },
      retry: o.retry && { ...o.retry, queue: o.retry.queue ?? `${o.queue}.retry` },
    };
  });

/** Options of `rabbitmqProducer`; see docs/producers/rabbitmq.md for each. */
export type RabbitMqProducerOptions = z.input<typeof rabbitmqOptionsSchema>;
/** The options with every default filled in. */
export type ResolvedRabbitMqOptions = z.output<typeof rabbitmqOptionsSchema>;

/** What `message.configureAck` takes. */
export const configureAckSchema = z
  .object({ onSuccess: ackPolicy.optional(), onFailure: failurePolicy.optional() })
  .strict();

/** Validates `input`, naming every bad option, and fills in the defaults. */
export function resolveOptions(input: RabbitMqProducerOptions): ResolvedRabbitMqOptions {
  return parseOptions(rabbitmqOptionsSchema, input, 'rabbitmq producer options');
}
