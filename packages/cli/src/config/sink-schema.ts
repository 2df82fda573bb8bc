/**
 * The sinks a pipeline file names: the file-level `sink:` (stdout or a
 * file, used as `handleBatch` when the handlers export none) and a
 * batcher's `sink:` (any sink, writing that batcher's batches). A sink's
 * options are its package's own schema (`@sluice/sinks/<type>/options`):
 * nothing here re-declares one.
 */
import { httpSinkOptionsObject } from '@sluice/sinks/http/options';
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

export const BATCHER_SINK_TYPES = ['postgres', 'http', 'file', 'stdout'] as const;

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
  .discriminatedUnion('type', [postgresSinkSchema, httpSinkSchema, fileSink, stdoutSink], {
    error: (issue) =>
      issue.code === 'invalid_union'
        ? `expected a sink type, one of ${BATCHER_SINK_TYPES.map((t) => `'${t}'`).join(', ')}`
        : undefined,
  })
  .meta({
    description:
      "Where this batcher's batches are written, instead of `handleBatch`: messages whose write failed are failed (through `handleFailed` and the producer's failure policy), the rest acked. `type` picks the sink; see docs/sinks.md.",
  });

/** A validated batcher sink section. */
export type BatcherSinkConfig = z.output<typeof batcherSinkSchema>;
