/**
 * The pipeline file's schema. It only extends what core and the producers
 * export: processor and batcher options are `createPipeline`'s schemas, a
 * broker producer's options its own (see producer-schema.ts), so a key
 * means the same thing in code and in a file. `sluice schema` prints it as
 * JSON Schema for editors (json-schema.ts).
 */
import {
  batcherSchema,
  name,
  pipelineDefinitionObject,
  processorSchema,
} from '@sluice/core/options';
import { z } from 'zod';
import { producerSchema } from './producer-schema.ts';
import { batcherSinkSchema, sinkSchema } from './sink-schema.ts';
import { prometheusConfigSchema } from './telemetry-schema.ts';
import { testsSchema } from './tests-schema.ts';

export { stubsSchema, testsSchema, type TestCase } from './tests-schema.ts';
export { batcherSinkSchema, sinkSchema } from './sink-schema.ts';

export const configSchema = z
  .object({
    name: name.meta({ description: "The pipeline's name, in logs and telemetry." }),
    producer: producerSchema,
    processors: z
      .record(z.string(), processorSchema)
      .refine((r) => Object.keys(r).length === 1, {
        error: 'expected exactly one processor group, e.g. { default: {} }',
      })
      .prefault({ default: {} })
      .meta({
        description: "Exactly one processor group, by key, with `createPipeline`'s options.",
      }),
    batchers: z
      .record(z.string(), batcherSchema.extend({ sink: batcherSinkSchema.optional() }))
      .optional()
      .meta({
        description:
          "Batchers by name, with `createPipeline`'s options and an optional `sink`; `{ default: {} }` when there is a `sink` and no batchers.",
      }),
    handlers: z.string({ error: 'expected a path to a handler module' }).min(1).optional().meta({
      description:
        'A module, relative to the file, exporting `handleMessage`, `handleBatch`, `handleFailed` and/or `prepareMessages`. Without a `handleMessage`, messages pass through.',
    }),
    sink: sinkSchema.optional(),
    context: z
      .record(z.string(), z.unknown())
      .optional()
      .meta({ description: 'Passed to every handler as `context`.' }),
    tests: testsSchema
      .optional()
      .meta({ description: 'Config-level tests, run by `sluice test` (ignored by `run`).' }),
    shutdownTimeout: pipelineDefinitionObject.shape.shutdownTimeout,
    stallTimeout: pipelineDefinitionObject.shape.stallTimeout,
    telemetry: z
      .object({
        prometheus: prometheusConfigSchema.optional(),
        otlp: z.boolean().default(false).meta({
          description:
            'Export traces and metrics over OTLP with `@sluice/otel`, configured by the standard `OTEL_*` environment variables; needs `@opentelemetry/api` and `@opentelemetry/sdk-node` installed.',
        }),
      })
      .strict()
      .optional()
      .meta({
        description:
          'What `sluice run` exports about itself, started with the pipeline: a Prometheus endpoint (docs/prometheus.md) and OTLP traces and metrics (docs/otel.md); none by default.',
      }),
  })
  .strict()
  .transform((c) => ({
    ...c,
    // A sink needs a batcher to write batches: one, when the file names none.
    batchers: c.batchers ?? (c.sink !== undefined ? { default: {} } : undefined),
  }))
  .meta({
    title: 'Sluice pipeline',
    description: 'A pipeline declared in a file; see docs/config.md.',
  });

/** A validated pipeline file. */
export type PipelineConfig = z.output<typeof configSchema>;
