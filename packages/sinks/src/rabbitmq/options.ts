/**
 * The RabbitMQ sink's options: one zod schema, each option with its
 * default and description.
 */
import { parseOptions } from '@sluice/core/options';
import { z } from 'zod';

/** The RabbitMQ sink's options as written. */
export const rabbitMqSinkOptionsObject = z
  .object({
    url: z
      .string({ error: 'expected an amqp:// or amqps:// URL' })
      .regex(/^amqps?:\/\/\S+$/, { error: 'expected an amqp:// or amqps:// URL' })
      .meta({
        description: 'The broker, with credentials and vhost: `amqp://user:pass@host:5672/vhost`.',
      }),
    exchange: z.string({ error: 'expected an exchange name' }).default('').meta({
      description:
        "The exchange published to; `''` (the default exchange) routes by queue name, so `routingKey` is the queue.",
    }),
    routingKey: z.string({ error: 'expected a routing key' }).meta({
      description: 'The routing key of every message (the queue name on the default exchange).',
    }),
    persistent: z.boolean({ error: 'expected true or false' }).default(true).meta({
      description: 'Mark messages persistent: durable queues write them to disk before confirming.',
    }),
    contentType: z.string({ error: 'expected a MIME type' }).optional().meta({
      description: 'The `content-type` property of every message, e.g. `application/json`.',
    }),
  })
  .strict();

/** The options {@link rabbitMqSink} takes. */
export type RabbitMqSinkOptions = z.input<typeof rabbitMqSinkOptionsObject>;
/** The options after defaults. */
export type ResolvedRabbitMqSinkOptions = z.output<typeof rabbitMqSinkOptionsObject>;

/** Parses the options, throwing an `InvalidOptionsError` naming each bad one. */
export function parseRabbitMqSinkOptions(input: unknown): ResolvedRabbitMqSinkOptions {
  return parseOptions(rabbitMqSinkOptionsObject, input, 'rabbitmq sink options');
}
