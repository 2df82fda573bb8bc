/**
 * The sinks a pipeline file names: the file-level `sink:` (stdout or a
 * file, used as `handleBatch` when the handlers export none) and a
 * batcher's `sink:` (any sink, writing that batcher's batches). A sink's
 * options are its package's own schema (`@sluice/sinks/<type>/options`):
 * nothing here re-declares one.
 */
import { httpSinkOptionsObject } from '@sluice/sinks/http/options';
import { kafkaSinkOptionsObject } from '@sluice/sinks/kafka/options';
import { rabbitMqSinkOptionsObject } from '@sluice/sinks/rabbitmq/options';
import { sqsSinkOptionsObject } from '@sluice/sinks/sqs/options';
import { postgresSinkOptionsObject } from '@sluice/sinks/postgres/options';
import { z } from 'zod';

const stdoutSink = z
  .object({ type: z.literal('stdout').meta({ description: '`stdout`: standard output.' }) })
  .strict();

const fileSink = z
  .object({
    type: z.literal('file').meta({ description: '`file`: appends to a file.' }),
    path: z
      .string({ error: 'expected a file path' })
      .min(1, { error: 'expected a file path' })
      .meta({ description: 'The file appended to.' }),
  })
  .strict();

/** A built-in sink, used as `handleBatch` when the handlers export none. */
export const sinkSchema = z
  .discriminatedUnion('type', [stdoutSink, fileSink], {
    error: (issue) =>
      issue.code === 'invalid_union' ? "expected a sink type, one of 'stdout', 'file'" : undefined,
  })
  .meta({
    description:
      "Writes each batch as JSON lines, one per message's data, when the handlers export no `handleBatch`; with no `batchers`, a `default` batcher is added.",
  });

export const BATCHER_SINK_TYPES = [
  'kafka',
  'sqs',
  'rabbitmq',
  'postgres',
  'http',
  'file',
  'stdout',
] as const;

export const kafkaSinkSchema = kafkaSinkOptionsObject
  .extend({
    type: z.literal('kafka').meta({ description: '`kafka`: records of a Kafka topic.' }),
  })
  .meta({
    description:
      'Publishes one record per message through an idempotent producer (acks all): see docs/sinks.md for every option.',
  });

export const sqsSinkSchema = sqsSinkOptionsObject
  .extend({
    type: z.literal('sqs').meta({ description: '`sqs`: messages of an SQS queue.' }),
  })
  .meta({
    description:
      'Sends one SQS message per message with SendMessageBatch, each entry its own outcome: see docs/sinks.md for every option.',
  });

export const rabbitMqSinkSchema = rabbitMqSinkOptionsObject
  .extend({
    type: z
      .literal('rabbitmq')
      .meta({ description: '`rabbitmq`: messages published to RabbitMQ.' }),
  })
  .meta({
    description:
      'Publishes one message per message with publisher confirms: see docs/sinks.md for every option.',
  });

export const postgresSinkSchema = postgresSinkOptionsObject
  .extend({
    type: z.literal('postgres').meta({ description: '`postgres`: rows in a PostgreSQL table.' }),
  })
  .meta({
    description:
      'Inserts one row per message, one transaction per batch: see docs/sinks.md for every option.',
  });

export const httpSinkSchema = httpSinkOptionsObject
  .extend({
    type: z.literal('http').meta({ description: '`http`: JSON requests to a URL.' }),
  })
  .meta({
    description:
      'Sends JSON requests, per batch or per message, with retries: see docs/sinks.md for every option.',
  });

/** A batcher's sink: writes that batcher's batches, failing exactly the messages not written. */
export const batcherSinkSchema = z
  .discriminatedUnion(
    'type',
    [
      kafkaSinkSchema,
      sqsSinkSchema,
      rabbitMqSinkSchema,
      postgresSinkSchema,
      httpSinkSchema,
      fileSink,
      stdoutSink,
    ],
    {
      error: (issue) =>
        issue.code === 'invalid_union'
          ? `expected a sink type, one of ${BATCHER_SINK_TYPES.map((t) => `'${t}'`).join(', ')}`
          : undefined,
    },
  )
  .meta({
    description:
      "Where this batcher's batches are written, instead of `handleBatch`: messages whose write failed are failed (through `handleFailed` and the producer's failure policy), the rest acked. `type` picks the sink; see docs/sinks.md.",
  });

/** A validated batcher sink section. */
export type BatcherSinkConfig = z.output<typeof batcherSinkSchema>;
