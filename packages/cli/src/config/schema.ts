/**
 * The pipeline file's schema. Processor and batcher options reuse the
 * schemas `createPipeline` validates with, so a key means the same thing in
 * code and in a file and nothing is defined twice. `sluice schema` prints it
 * as JSON Schema for editors.
 */
import {
  batcherSchema,
  concurrencyInt,
  positiveInt,
  positiveMs,
  processorSchema,
} from '@sluice/core/options';
import { kafkaOptionsObject, kafkaOptionsRules } from '@sluice/producers/kafka';
import { rabbitmqOptionsObject, rabbitmqOptionsRules } from '@sluice/producers/rabbitmq';
// The options alone: the AWS SDK loads only when an SQS pipeline runs.
import { sqsOptionsObject, sqsOptionsRules } from '@sluice/producers/sqs/options';
import { z } from 'zod';

const common = {
  /** How many producer instances. */
  concurrency: concurrencyInt.optional(),
  rateLimiting: z
    .object({
      allowedMessages: positiveInt,
      interval: positiveMs,
    })
    .strict()
    .optional(),
};

export const generatorProducerSchema = z
  .object({
    type: z.literal('generator'),
    ...common,
    count: z
      .int({ error: 'expected a non-negative integer' })
      .nonnegative({ error: 'expected a non-negative integer' })
      .optional(),
    rate: z
      .number({ error: 'expected a positive number' })
      .positive({ error: 'expected a positive number' })
      .optional(),
  })
  .strict()
  .meta({
    description:
      'Synthetic messages { n }: count of them (or endless), at an optional rate per second.',
  });

const format = z.enum(['lines', 'jsonl']).optional();

export const fileProducerSchema = z
  .object({
    type: z.literal('file'),
    ...common,
    path: z.string({ error: 'expected a file path' }).min(1, { error: 'expected a file path' }),
    format,
    checkpoint: z.string().min(1).optional(),
  })
  .strict()
  .meta({
    description:
      'Reads a file line by line (lines) or as JSON lines (jsonl). Acked progress is saved to checkpoint (default <path>.offset), so a restart resumes after the last acked line.',
  });

export const stdinProducerSchema = z
  .object({ type: z.literal('stdin'), ...common, format })
  .strict()
  .meta({ description: 'Reads standard input line by line (lines) or as JSON lines (jsonl).' });

/** A broker producer's own option schema and rules, plus what every producer takes. */
export const rabbitmqProducerSchema = rabbitmqOptionsObject
  .extend({ type: z.literal('rabbitmq'), ...common })
  .superRefine(rabbitmqOptionsRules)
  .meta({
    description: 'Consumes a RabbitMQ queue: see docs/producers/rabbitmq.md for every option.',
  });

export const kafkaProducerSchema = kafkaOptionsObject
  .extend({ type: z.literal('kafka'), ...common })
  .superRefine(kafkaOptionsRules)
  .meta({
    description:
      'Consumes Kafka topics in a consumer group: see docs/producers/kafka.md for every option.',
  });

export const sqsProducerSchema = sqsOptionsObject
  .extend({ type: z.literal('sqs'), ...common })
  .superRefine(sqsOptionsRules)
  .meta({ description: 'Consumes an SQS queue: see docs/producers/sqs.md for every option.' });

export const PRODUCER_TYPES = ['generator', 'file', 'stdin', 'sqs', 'kafka', 'rabbitmq'] as const;

export const producerSchema = z.discriminatedUnion(
  'type',
  [
    generatorProducerSchema,
    fileProducerSchema,
    stdinProducerSchema,
    sqsProducerSchema,
    kafkaProducerSchema,
    rabbitmqProducerSchema,
  ],
  {
    error: (issue) =>
      issue.code === 'invalid_union'
        ? `expected a producer type, one of ${PRODUCER_TYPES.map((t) => `'${t}'`).join(', ')}`
        : undefined,
  },
);

export const sinkSchema = z.discriminatedUnion(
  'type',
  [
    z.object({ type: z.literal('stdout') }).strict(),
    z
      .object({
        type: z.literal('file'),
        path: z.string({ error: 'expected a file path' }).min(1, { error: 'expected a file path' }),
      })
      .strict(),
  ],
  {
    error: (issue) =>
      issue.code === 'invalid_union' ? "expected a sink type, one of 'stdout', 'file'" : undefined,
  },
);

export const configSchema = z
  .object({
    name: z
      .string({ error: 'expected a non-empty string' })
      .min(1, { error: 'expected a non-empty string' }),
    producer: producerSchema,
    processors: z
      .record(z.string(), processorSchema)
      .refine((r) => Object.keys(r).length === 1, {
        error: 'expected exactly one processor group, e.g. { default: {} }',
      })
      .optional(),
    batchers: z.record(z.string(), batcherSchema).optional(),
    handlers: z.string({ error: 'expected a path to a handler module' }).min(1).optional(),
    sink: sinkSchema.optional(),
    context: z.record(z.string(), z.unknown()).optional(),
    /** Config-level tests, run by `sluice test` (ignored by `run`). */
    tests: z.lazy(() => testsSchema).optional(),
    shutdownTimeout: positiveMs.optional(),
  })
  .strict()
  .meta({
    title: 'Sluice pipeline',
    description: 'A pipeline declared in a file; see docs/config.md.',
  });

export type PipelineConfig = z.output<typeof configSchema>;

const outcome = z.union([
  z.int({ error: 'expected a count or a list of expected messages' }).nonnegative(),
  z.array(
    z
      .object({
        data: z.unknown().optional(),
        /** A substring of the failure reason. */
        reason: z.string().optional(),
      })
      .strict(),
  ),
]);

/** One config-level test: messages in, outcomes and batches expected. */
export const testCaseSchema = z
  .object({
    name: z.string({ error: 'expected a test name' }).min(1),
    /** The data of each message pushed, in order. */
    input: z.array(z.unknown(), { error: 'expected a list of message data' }),
    /** Merged into each message's metadata. */
    metadata: z.record(z.string(), z.unknown()).optional(),
    expect: z
      .object({
        successful: outcome.optional(),
        failed: outcome.optional(),
        /** For each batcher, the data of each batch handleBatch received, in order. */
        batches: z.record(z.string(), z.array(z.array(z.unknown()))).optional(),
      })
      .strict(),
  })
  .strict();

export const testsSchema = z.array(testCaseSchema, { error: 'expected a list of test cases' });

export type TestCase = z.output<typeof testCaseSchema>;

/** The file's schema as JSON Schema (functions, which a file cannot hold, become `{}`). */
export function configJsonSchema(): unknown {
  return z.toJSONSchema(configSchema, { unrepresentable: 'any', io: 'input' });
}
