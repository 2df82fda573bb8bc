/**
 * The pipeline definition: the zod schema that validates it once, in
 * `createPipeline`, and fills in every default, and the types derived from
 * it. Each option's default and description are written here only; stage
 * code only ever sees {@link ResolvedDefinition}.
 */
import { availableParallelism } from 'node:os';
import type { z } from 'zod';
import { parseOptions, zFunction } from '../options/parse.ts';
import { MAX_SUBSCRIPTIONS, optionBlocks } from '../options/blocks.ts';
import { lazily, zod } from '../options/zod.ts';
import type { Agrees, Assert } from '../internal/agrees.ts';
import type { BatchInfo } from './batch-info.ts';
import type { Message } from './message.ts';
import type { ProducerModule, Transformer } from './producer-module.ts';
import type { PipelineDefinition } from './pipeline-definition.ts';
import type { StandardSchemaV1 } from './standard-schema.ts';
import { isStandardSchema } from './validate-data.ts';

/**
 * Routes messages to a partition: messages with the same value go to the
 * same processor (or batch processor), in order. Return an integer or a
 * string; strings are hashed.
 */
export type PartitionBy = (message: Message) => number | string;

/**
 * A custom batch size: batch by bytes, by weight, by anything. `accumulate`
 * runs for every message after `handleMessage`; when it says `emit`, the
 * batch (including that message) goes out and the key's next batch starts
 * from the `acc` it returned. A batch closed otherwise (timeout, flush)
 * passes nothing on: the next one starts from `initial`. So does an idle
 * key's, once the batcher has forgotten the key: it forgets idle keys when
 * it holds 1,024 or more, at least half of them idle.
 */
export interface BatchSizeAccumulator<A = unknown, Msg = Message> {
  readonly initial: A;
  /** `message` has the type `handleMessage` returns, as in `handleBatch`. */
  accumulate(message: Msg, acc: A): { readonly emit: boolean; readonly acc: A };
}

/** Any message, whatever its types: what handlers may return. */
export type AnyMessage = Message<unknown, object, object>;

type Callback<A extends unknown[], R> = (...args: A) => R | PromiseLike<R>;
type MessagesCallback = Callback<[Message[], unknown, AbortSignal], readonly AnyMessage[]>;

/** The default processor `concurrency`: 2 × available CPU cores. */
function defaultProcessorConcurrency(): number {
  return availableParallelism() * 2;
}

/**
 * The default processor `maxDemand`: about 400 messages held by the whole
 * processor group, between 10 (Broadway's default) and 100 per processor.
 * A few CPU-bound processors get large chunks, which are cheap per
 * message; many I/O-bound processors each hold little.
 */
export function defaultMaxDemand(concurrency: number): number {
  return Math.min(100, Math.max(10, Math.round(400 / concurrency)));
}

/**
 * The pipeline definition's schemas, built (and zod loaded) on the first
 * call: `createPipeline` validates with them; `@sluice/core/options`
 * exports them built, for tools such as the CLI's pipeline files.
 */
export const definitionSchemas = lazily(() => {
  const z = zod();
  const { concurrencyInt, name, nonNegativeInt, pinoLogger, positiveInt, positiveMs } =
    optionBlocks();

  const producerModule = z.custom<ProducerModule>(
    (v) =>
      typeof v === 'object' &&
      v !== null &&
      typeof (v as Record<string, unknown>)['init'] === 'function',
    { error: 'expected a producer module (an object with an init function)' },
  );

  const accumulatorShape = z
    .object({ initial: z.unknown(), accumulate: zFunction() })
    .strict()
    .refine((o) => 'initial' in o, { error: 'expected an initial accumulator value' });
  /** The user's own accumulator object, kept as given: its `accumulate` may use `this`. */
  const accumulator = z.custom<BatchSizeAccumulator>((v) => accumulatorShape.safeParse(v).success);

  const partitionBy = zFunction<PartitionBy>();
  const dataSchema = z
    .custom<StandardSchemaV1>(isStandardSchema, {
      error:
        'expected a Standard Schema validator (zod, valibot, arktype…): an object with ~standard.validate',
    })
    .optional();
  const handlerTimeout = positiveMs.optional();

  /**
   * One processor group's options (reused by config files). Its defaults
   * depend on the machine and on each other, so the final `transform` fills
   * them in.
   */
  const processorSchema = z
    .object({
      concurrency: concurrencyInt.optional().meta({
        description:
          'How many messages are handled at once: each processor handles one message at a time. Defaults to 2 × the available CPU cores; raise it for I/O-bound handlers, up to 10,000.',
      }),
      maxDemand: positiveInt.optional().meta({
        description:
          'The most messages one processor asks for at a time, which bounds what it holds while it works. Defaults to `400 / concurrency`, at least 10 and at most 100 (see docs/performance.md).',
      }),
      minDemand: nonNegativeInt.optional().meta({
        description:
          'A processor asks for more when what it holds falls to this; less than `maxDemand`. Defaults to half of `maxDemand`.',
      }),
      partitionBy: partitionBy.optional().meta({
        description:
          "Keeps messages with the same value on the same processor, in order. Overrides the pipeline's `partitionBy`.",
      }),
      timeout: handlerTimeout.meta({
        description:
          'Fails a message whose `handleMessage` has not settled after this many ms (its `signal` aborts), so one hung call cannot wedge a processor. No limit when unset.',
      }),
      schema: dataSchema.meta({
        description:
          "In code: a Standard Schema validator (zod, valibot, arktype…) that parses `message.data` before `handleMessage`; a mismatch fails the message with `ERR_INVALID_DATA`. Overrides the pipeline's `schema`.",
      }),
    })
    .strict()
    .superRefine((o, ctx) => {
      // Checked here, not in the transform: it runs even when another option is bad.
      const max = o.maxDemand ?? defaultMaxDemand(o.concurrency ?? defaultProcessorConcurrency());
      if (o.minDemand !== undefined && o.minDemand >= max) {
        ctx.addIssue({
          code: 'custom',
          path: ['minDemand'],
          message: `expected less than maxDemand (${max})`,
        });
      }
    })
    .transform((o) => {
      const concurrency = o.concurrency ?? defaultProcessorConcurrency();
      const maxDemand = o.maxDemand ?? defaultMaxDemand(concurrency);
      return { ...o, concurrency, maxDemand, minDemand: o.minDemand ?? Math.floor(maxDemand / 2) };
    });

  /** One batcher's options (reused by config files). */
  const batcherSchema = z
    .object({
      concurrency: concurrencyInt.default(1).meta({
        description: "How many batch processors run this batcher's batches, at most 10,000.",
      }),
      batchSize: z
        .union([positiveInt, accumulator], {
          error: 'expected a positive integer or { initial, accumulate }',
        })
        .default(100)
        .meta({
          description:
            'How many messages make a batch: a count, or in code a `{ initial, accumulate }` that decides (by bytes, by weight…).',
        }),
      batchTimeout: positiveMs.default(1000).meta({
        description: 'A partial batch is sent this many ms after its first message.',
      }),
      partitionBy: partitionBy.optional().meta({
        description:
          "Keeps batches of the same partition on the same batch processor. Overrides the pipeline's `partitionBy`.",
      }),
      timeout: handlerTimeout.meta({
        description:
          'Fails a batch whose `handleBatch` has not settled after this many ms (its `signal` aborts) and frees its lane, so one hung call cannot wedge the batcher. No limit when unset.',
      }),
    })
    .strict();

  /** `producer.rateLimiting`: a budget shared by every producer instance. */
  const rateLimitingSchema = z
    .object({
      allowedMessages: positiveInt.meta({
        description: 'How many messages the producers may emit per `interval`, all together.',
      }),
      interval: positiveMs.meta({ description: 'The length of one rate-limit interval, in ms.' }),
    })
    .strict();

  /** `producer`: the source and how many instances of it run. */
  const producerDefinitionSchema = z
    .object({
      module: producerModule.meta({
        description: 'The source, e.g. `sqsProducer({ queueUrl })` or `testProducer()`.',
      }),
      concurrency: concurrencyInt.default(1).meta({
        description:
          'How many producer instances run, at most 10,000, and at most 100,000 in all with the processors: every processor subscribes to every instance.',
      }),
      transformer: zFunction<Transformer>().optional().meta({
        description: 'Maps what the producer emits to a `Message`, if it emits something else.',
      }),
      rateLimiting: rateLimitingSchema.optional().meta({
        description:
          'At most `allowedMessages` per `interval` ms, shared by all producer instances. Change it at run time with `pipeline.updateRateLimiting`. No limit when unset.',
      }),
    })
    .strict();

  /**
   * The pipeline definition's fields, before the rules that relate them
   * (for tools that extend or pick from it).
   */
  const pipelineDefinitionObject = z
    .object({
      name: name.meta({ description: 'Names the pipeline in logs, telemetry and stage names.' }),
      producer: producerDefinitionSchema.meta({ description: 'The source of the messages.' }),
      processors: z
        .record(z.string(), processorSchema)
        .refine((r) => Object.keys(r).length === 1, {
          error: (issue) => {
            const keys = Object.keys(issue.input as object);
            return keys.length === 0
              ? 'expected exactly one processor group, e.g. { default: {} }'
              : `expected exactly one processor group, got ${keys.length} (${keys.join(', ')})`;
          },
        })
        .meta({
          description: 'Exactly one processor group, e.g. `{ default: { concurrency: 8 } }`.',
        }),
      batchers: z.record(z.string(), batcherSchema).default({}).meta({
        description: 'Named batchers. With any batcher, every successful message is batched.',
      }),
      context: z.unknown().optional().meta({ description: 'Passed to every callback.' }),
      schema: dataSchema.meta({
        description:
          'A Standard Schema validator (zod, valibot, arktype…) that parses `message.data` before `handleMessage`; a mismatch fails the message with `ERR_INVALID_DATA`.',
      }),
      shutdownTimeout: positiveMs.default(10_000).meta({
        description:
          'How long `stop()` may drain, in ms, before it stops anyway. The default lets drain, teardown and exit fit in the 30 s grace period of Kubernetes and ECS.',
      }),
      stallTimeout: positiveMs.default(60_000).meta({
        description:
          'How long a processor or batch processor may hold messages without finishing any, in ms, before `pipeline.health()` reports it stuck (not live).',
      }),
      partitionBy: partitionBy.optional().meta({
        description: 'Applied to the processors and batchers that do not set their own.',
      }),
      logger: pinoLogger.optional().meta({
        description:
          'A pino logger. Without one, a quiet pino logger (warnings and errors) on stderr.',
      }),
      handleMessage: zFunction<Callback<[string, Message, unknown, AbortSignal], Message>>().meta({
        description:
          'Handles one message; returns it, possibly updated, failed or routed to a batcher.',
      }),
      handleBatch: zFunction<
        Callback<[string, Message[], BatchInfo, unknown, AbortSignal], readonly AnyMessage[]>
      >()
        .optional()
        .meta({ description: 'Handles a batch; required when there are batchers.' }),
      handleFailed: zFunction<MessagesCallback>().optional().meta({
        description: 'Sees the failed messages of one invocation before they are acked.',
      }),
      prepareMessages: zFunction<MessagesCallback>().optional().meta({
        description: "Runs before `handleMessage` on a processor's whole chunk, e.g. to preload.",
      }),
    })
    .strict();

  /**
   * The pipeline definition: the fields, the rules that relate them, and
   * the cross-field defaults (`partitionBy` falls back to the pipeline's,
   * then to the producer module's).
   */
  const pipelineDefinitionSchema = pipelineDefinitionObject
    .superRefine((d, ctx) => {
      const producers = d.producer.concurrency;
      const processors = Object.values(d.processors)[0]?.concurrency ?? 1;
      if (producers * processors > MAX_SUBSCRIPTIONS) {
        ctx.addIssue({
          code: 'custom',
          path: ['producer', 'concurrency'],
          message: `expected at most ${Math.floor(MAX_SUBSCRIPTIONS / processors)} with ${processors} processors (every processor subscribes to every producer instance: at most ${MAX_SUBSCRIPTIONS} subscriptions)`,
        });
      }
      if (Object.keys(d.batchers).length > 0 && d.handleBatch === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['handleBatch'],
          message: 'expected a function, required when batchers are defined',
        });
      }
    })
    .transform((d) => {
      const [key, p] = Object.entries(d.processors)[0] as [
        string,
        z.output<typeof processorSchema>,
      ];
      return {
        name: d.name,
        producer: d.producer,
        processor: {
          key,
          ...p,
          partitionBy: p.partitionBy ?? d.partitionBy ?? d.producer.module.partitionBy,
          schema: p.schema ?? d.schema,
        },
        batchers: Object.entries(d.batchers).map(([key, b]) => ({
          key,
          ...b,
          partitionBy: b.partitionBy ?? d.partitionBy,
        })),
        context: d.context,
        shutdownTimeout: d.shutdownTimeout,
        stallTimeout: d.stallTimeout,
        logger: d.logger,
      };
    });

  return {
    processorSchema,
    batcherSchema,
    rateLimitingSchema,
    producerDefinitionSchema,
    pipelineDefinitionObject,
    pipelineDefinitionSchema,
  };
});

type Schemas = ReturnType<typeof definitionSchemas>;

/** One processor group's options, as given. */
export type ProcessorDefinition = z.input<Schemas['processorSchema']>;
/** One batcher's options, as given. */
export type BatcherDefinition = z.input<Schemas['batcherSchema']>;
/** `producer.rateLimiting`, as given. */
export type RateLimitingDefinition = z.input<Schemas['rateLimitingSchema']>;
/** `producer`, as given. */
export type ProducerDefinition = z.input<Schemas['producerDefinitionSchema']>;

export type { PipelineDefinition } from './pipeline-definition.ts';

type _Agrees = Assert<Agrees<PipelineDefinition, z.input<Schemas['pipelineDefinitionObject']>>>;

type Resolved = z.output<Schemas['pipelineDefinitionSchema']>;
/** A processor group with every default filled in. */
export type ResolvedProcessor = Resolved['processor'];
/** A batcher with every default filled in. */
export type ResolvedBatcher = Resolved['batchers'][number];

/** The definition after validation: what the stages are built from. */
export type ResolvedDefinition<C = unknown> = Omit<Resolved, 'context'> & {
  readonly context: C;
  /** The user's definition: callbacks are called on it, so `this` works in them. */
  readonly callbacks: PipelineDefinition<C>;
};

/** Validates a definition, listing every problem; returns it with defaults filled in. */
export function resolveDefinition<C>(definition: PipelineDefinition<C>): ResolvedDefinition<C> {
  const d = parseOptions(
    definitionSchemas().pipelineDefinitionSchema,
    definition as z.input<Schemas['pipelineDefinitionSchema']>,
    'pipeline definition',
  );
  return { ...d, context: d.context as C, callbacks: definition };
}
