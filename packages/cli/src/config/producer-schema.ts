/**
 * The `producer:` section of a pipeline file: one schema per `type`, each
 * the producer's own options (core's generator checks, the CLI's line
 * producers, a broker producer's exported schema and rules) plus what the
 * pipeline reads for every producer. Nothing here re-declares an option a
 * producer defines.
 *
 * Only the broker producers' `/options` subpaths are imported: a wire
 * library (the AWS SDK, kafkajs, amqplib, redis, the NATS client) loads when a pipeline of its
 * broker is built (see build.ts), never to read or validate a file.
 */
import { producerDefinitionSchema } from '@sluice/core/options';
import { kafkaOptionsObject, kafkaOptionsRules } from '@sluice/producers/kafka/options';
import {
  natsOptionsObject,
  natsOptionsRules,
  withServersFromEnv,
} from '@sluice/producers/nats/options';
import { rabbitmqOptionsObject, rabbitmqOptionsRules } from '@sluice/producers/rabbitmq/options';
import { redisOptionsObject, withRedisUrl } from '@sluice/producers/redis/options';
import { sqsOptionsObject, sqsOptionsRules } from '@sluice/producers/sqs/options';
import { z } from 'zod';
import {
  fileOptions,
  generatorOptions,
  stdinOptions,
  withCheckpoint,
} from '../producers/options.ts';

/** The producer keys the pipeline reads, whatever the producer: core's own definitions. */
export const producerCommonOptions = producerDefinitionSchema.pick({
  concurrency: true,
  rateLimiting: true,
});

const common = producerCommonOptions.shape;

/** The `type` key that picks a producer. */
const type = <T extends string>(value: T, what: string) =>
  z.literal(value).meta({ description: `\`${value}\`: ${what}` });

export const generatorProducerSchema = generatorOptions
  .extend({ type: type('generator', 'synthetic messages `{ n }`.'), ...common })
  .meta({
    description:
      'Synthetic messages { n }: count of them (or endless), at an optional rate per second.',
  });

export const fileProducerSchema = fileOptions
  .extend({ type: type('file', "a file's lines."), ...common })
  .transform(withCheckpoint)
  .meta({
    description:
      'Reads a file line by line (lines) or as JSON lines (jsonl). Acked progress is saved to checkpoint (default <path>.offset), so a restart resumes after the last acked line.',
  });

export const stdinProducerSchema = stdinOptions
  .extend({ type: type('stdin', "standard input's lines."), ...common })
  .meta({ description: 'Reads standard input line by line (lines) or as JSON lines (jsonl).' });

/** A broker producer's own option schema and rules, plus what every producer takes. */
export const sqsProducerSchema = sqsOptionsObject
  .extend({ type: type('sqs', 'an SQS queue.'), ...common })
  .superRefine(sqsOptionsRules)
  .meta({ description: 'Consumes an SQS queue: see docs/producers/sqs.md for every option.' });

export const kafkaProducerSchema = kafkaOptionsObject
  .extend({ type: type('kafka', 'Kafka topics, in a consumer group.'), ...common })
  .superRefine(kafkaOptionsRules)
  .meta({
    description:
      'Consumes Kafka topics in a consumer group: see docs/producers/kafka.md for every option.',
  });

export const rabbitmqProducerSchema = rabbitmqOptionsObject
  .extend({ type: type('rabbitmq', 'a RabbitMQ queue.'), ...common })
  .superRefine(rabbitmqOptionsRules)
  .meta({
    description: 'Consumes a RabbitMQ queue: see docs/producers/rabbitmq.md for every option.',
  });

// `url` / `servers` may come from REDIS_URL / NATS_URL: checked as the
// producer's own schema does, but the file's section is left as written.
export const redisProducerSchema = redisOptionsObject
  .extend({ type: type('redis', 'a Redis stream, in a consumer group.'), ...common })
  .superRefine((o, ctx) => void withRedisUrl(o, ctx))
  .meta({
    description:
      'Consumes a Redis stream in a consumer group: see docs/producers/redis.md for every option.',
  });

export const natsProducerSchema = natsOptionsObject
  .extend({ type: type('nats', 'a NATS JetStream durable pull consumer.'), ...common })
  .superRefine((o, ctx) => natsOptionsRules(withServersFromEnv(o), ctx))
  .meta({
    description:
      'Consumes a NATS JetStream stream through a durable pull consumer: see docs/producers/nats.md for every option.',
  });

export const PRODUCER_TYPES = [
  'generator',
  'file',
  'stdin',
  'sqs',
  'kafka',
  'rabbitmq',
  'redis',
  'nats',
] as const;

export const producerSchema = z
  .discriminatedUnion(
    'type',
    [
      generatorProducerSchema,
      fileProducerSchema,
      stdinProducerSchema,
      sqsProducerSchema,
      kafkaProducerSchema,
      rabbitmqProducerSchema,
      redisProducerSchema,
      natsProducerSchema,
    ],
    {
      error: (issue) =>
        issue.code === 'invalid_union'
          ? `expected a producer type, one of ${PRODUCER_TYPES.map((t) => `'${t}'`).join(', ')}`
          : undefined,
    },
  )
  .meta({ description: 'Where messages come from: `type` picks the producer.' });
