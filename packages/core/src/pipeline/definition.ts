/**
 * The pipeline definition: its public type, and the zod schema that
 * validates it once, in `createPipeline`, and fills in every default.
 * Stage code only ever sees {@link ResolvedDefinition}.
 */
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { parseOptions, zFunction } from '../options/parse.ts';
import {
  MAX_SUBSCRIPTIONS,
  concurrencyInt,
  nonNegativeInt,
  positiveInt,
  positiveMs,
} from '../options/blocks.ts';
import type { Logger } from '../logger.ts';
import type { BatchInfo } from './batch-info.ts';
import type { Message } from './message.ts';
import type { ProducerModule, Transformer } from './producer-module.ts';

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
export interface BatchSizeAccumulator<A = unknown> {
  readonly initial: A;
  accumulate(message: Message, acc: A): { readonly emit: boolean; readonly acc: A };
}

export interface ProducerDefinition {
  /** The source, e.g. `sqsProducer({ queueUrl })` or `testProducer()`. */
  readonly module: ProducerModule;
  /**
   * How many producer instances run, at most 10,000, and at most 100,000
   * in all with the processors: every processor subscribes to every
   * instance (see docs/architecture.md, "Limits"). @defaultValue 1
   */
  readonly concurrency?: number;
  /** Maps what the producer emits to a {@link Message}, if it emits something else. */
  readonly transformer?: Transformer;
  /**
   * At most `allowedMessages` per `interval` ms, shared by all producer
   * instances. Change it at run time with `pipeline.updateRateLimiting`.
   */
  readonly rateLimiting?: { readonly allowedMessages: number; readonly interval: number };
}

export interface ProcessorDefinition {
  /**
   * How many messages are handled at once: each processor handles one
   * message at a time. Raise it for I/O-bound handlers, up to 10,000.
   * @defaultValue 2 × available CPU cores
   */
  readonly concurrency?: number;
  /**
   * The most messages one processor has asked for at a time. It bounds
   * what a processor holds while it works, so keep it small for slow
   * handlers on queues with visibility timeouts. Larger chunks cost less
   * per message: see docs/performance.md.
   * @defaultValue `400 / concurrency`, at least 10 and at most 100: about
   * 400 messages held by the whole group, and Broadway's 10 once there are
   * 40 or more processors
   */
  readonly maxDemand?: number;
  /** @defaultValue `Math.floor(maxDemand / 2)` */
  readonly minDemand?: number;
  /** Keeps messages with the same value on the same processor, in order. Overrides the pipeline's. */
  readonly partitionBy?: PartitionBy;
  /**
   * Fails a message whose `handleMessage` has not settled after this many
   * ms (its `signal` aborts), so one hung call cannot wedge a processor.
   * @defaultValue none
   */
  readonly timeout?: number;
}

export interface BatcherDefinition {
  /** How many batch processors run this batcher's batches, at most 10,000. @defaultValue 1 */
  readonly concurrency?: number;
  /** A count, or a {@link BatchSizeAccumulator}. @defaultValue 100 */
  readonly batchSize?: number | BatchSizeAccumulator;
  /** A partial batch is sent this many ms after its first message. @defaultValue 1000 */
  readonly batchTimeout?: number;
  /** Keeps batches of the same partition on the same batch processor. Overrides the pipeline's. */
  readonly partitionBy?: PartitionBy;
  /**
   * Fails a batch whose `handleBatch` has not settled after this many ms
   * (its `signal` aborts), and frees its lane for the next batch, so one
   * hung call cannot wedge the batcher.
   * @defaultValue none
   */
  readonly timeout?: number;
}

/** Everything `createPipeline` takes. `C` is the type of `context`. */
export interface PipelineDefinition<C = unknown> {
  /** Names the pipeline in logs, telemetry and stage names. */
  readonly name: string;
  readonly producer: ProducerDefinition;
  /** Exactly one processor group, e.g. `{ default: { concurrency: 8 } }`. */
  readonly processors: Readonly<Record<string, ProcessorDefinition>>;
  /** Named batchers. With any batcher, every successful message is batched. */
  readonly batchers?: Readonly<Record<string, BatcherDefinition>>;
  /** Passed to every callback. */
  readonly context?: C;
  /** How long `stop()` may drain before it stops anyway (ms). @defaultValue 30000 */
  readonly shutdownTimeout?: number;
  /** Applied to processors and batchers that do not set their own. */
  readonly partitionBy?: PartitionBy;
  /** A pino logger. @defaultValue a quiet pino logger (warnings and errors) on stderr */
  readonly logger?: Logger;

  /**
   * Handles one message; return it (possibly updated, failed or routed to
   * a batcher). `signal` aborts at the shutdown deadline or the processor
   * `timeout`.
   */
  handleMessage(
    processor: string,
    message: Message,
    context: C,
    signal: AbortSignal,
  ): Message | PromiseLike<Message>;
  /**
   * Handles a batch; return the messages (each successful or failed). Any
   * message not returned is failed and acked as failed.
   */
  handleBatch?(
    batcher: string,
    messages: Message[],
    batchInfo: BatchInfo,
    context: C,
    signal: AbortSignal,
  ): readonly Message[] | PromiseLike<readonly Message[]>;
  /**
   * Sees the failed messages of one processor or batch invocation before
   * they are acked, e.g. to `configureAck` them. Return them all.
   */
  handleFailed?(
    messages: Message[],
    context: C,
    signal: AbortSignal,
  ): readonly Message[] | PromiseLike<readonly Message[]>;
  /** Runs before `handleMessage` on a processor's whole chunk, e.g. to preload. Return them all. */
  prepareMessages?(
    messages: Message[],
    context: C,
    signal: AbortSignal,
  ): readonly Message[] | PromiseLike<readonly Message[]>;
}

const producerModule = z.custom<ProducerModule>(
  (v) =>
    typeof v === 'object' &&
    v !== null &&
    typeof (v as Record<string, unknown>)['init'] === 'function',
  { error: 'expected a producer module (an object with an init function)' },
);

const accumulator = z
  .object({ initial: z.unknown(), accumulate: zFunction() })
  .strict()
  .refine((o) => 'initial' in o, { error: 'expected an initial accumulator value' });

/** The schema of one processor group's options (reused by config files). */
export const processorSchema = z
  .object({
    concurrency: concurrencyInt.optional(),
    maxDemand: positiveInt.optional(),
    minDemand: nonNegativeInt.optional(),
    partitionBy: zFunction().optional(),
    timeout: positiveMs.optional(),
  })
  .strict()
  .superRefine((o, ctx) => {
    const max = o.maxDemand ?? defaultMaxDemand(o.concurrency ?? defaultProcessorConcurrency());
    if (o.minDemand !== undefined && o.minDemand >= max) {
      ctx.addIssue({
        code: 'custom',
        path: ['minDemand'],
        message: `expected less than maxDemand (${max})`,
      });
    }
  });

/** The schema of one batcher's options (reused by config files). */
export const batcherSchema = z
  .object({
    concurrency: concurrencyInt.optional(),
    batchSize: z
      .union([positiveInt, accumulator], {
        error: 'expected a positive integer or { initial, accumulate }',
      })
      .optional(),
    batchTimeout: positiveMs.optional(),
    partitionBy: zFunction().optional(),
    timeout: positiveMs.optional(),
  })
  .strict();

const schema = z
  .object({
    name: z
      .string({ error: 'expected a non-empty string' })
      .min(1, { error: 'expected a non-empty string' }),
    producer: z
      .object({
        module: producerModule,
        concurrency: concurrencyInt.optional(),
        transformer: zFunction().optional(),
        rateLimiting: z
          .object({ allowedMessages: positiveInt, interval: positiveMs })
          .strict()
          .optional(),
      })
      .strict(),
    processors: z.record(z.string(), processorSchema).refine((r) => Object.keys(r).length === 1, {
      error: (issue) => {
        const keys = Object.keys(issue.input as object);
        return keys.length === 0
          ? 'expected exactly one processor group, e.g. { default: {} }'
          : `expected exactly one processor group, got ${keys.length} (${keys.join(', ')})`;
      },
    }),
    batchers: z.record(z.string(), batcherSchema).optional(),
    context: z.unknown().optional(),
    shutdownTimeout: positiveMs.optional(),
    partitionBy: zFunction().optional(),
    logger: z
      .custom<Logger>(
        (v) => typeof v === 'object' && v !== null && typeof (v as Logger).child === 'function',
        {
          error: 'expected a pino logger',
        },
      )
      .optional(),
    handleMessage: zFunction(),
    handleBatch: zFunction().optional(),
    handleFailed: zFunction().optional(),
    prepareMessages: zFunction().optional(),
  })
  .strict()
  .superRefine((d, ctx) => {
    const producers = d.producer.concurrency ?? 1;
    const processors = Object.values(d.processors)[0]?.concurrency ?? defaultProcessorConcurrency();
    if (producers * processors > MAX_SUBSCRIPTIONS) {
      ctx.addIssue({
        code: 'custom',
        path: ['producer', 'concurrency'],
        message: `expected at most ${Math.floor(MAX_SUBSCRIPTIONS / processors)} with ${processors} processors (every processor subscribes to every producer instance: at most ${MAX_SUBSCRIPTIONS} subscriptions)`,
      });
    }
    if (
      d.batchers !== undefined &&
      Object.keys(d.batchers).length > 0 &&
      d.handleBatch === undefined
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['handleBatch'],
        message: 'expected a function, required when batchers are defined',
      });
    }
  });

/** A processor group with every default filled in. */
export interface ResolvedProcessor {
  readonly key: string;
  readonly concurrency: number;
  readonly maxDemand: number;
  readonly minDemand: number;
  readonly partitionBy: PartitionBy | undefined;
  readonly timeout: number | undefined;
}

/** A batcher with every default filled in. */
export interface ResolvedBatcher {
  readonly key: string;
  readonly concurrency: number;
  readonly batchSize: number | BatchSizeAccumulator;
  readonly batchTimeout: number;
  readonly partitionBy: PartitionBy | undefined;
  readonly timeout: number | undefined;
}

/** The definition after validation: what the stages are built from. */
export interface ResolvedDefinition<C = unknown> {
  readonly name: string;
  readonly producer: {
    readonly module: ProducerModule;
    readonly concurrency: number;
    readonly transformer: Transformer | undefined;
    readonly rateLimiting:
      { readonly allowedMessages: number; readonly interval: number } | undefined;
  };
  readonly processor: ResolvedProcessor;
  readonly batchers: readonly ResolvedBatcher[];
  readonly context: C;
  readonly shutdownTimeout: number;
  readonly logger: Logger | undefined;
  /** The user's definition: callbacks are called on it, so `this` works in them. */
  readonly callbacks: PipelineDefinition<C>;
}

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

/** Validates a definition, listing every problem; returns it with defaults filled in. */
export function resolveDefinition<C>(definition: PipelineDefinition<C>): ResolvedDefinition<C> {
  const d = parseOptions(schema, definition, 'pipeline definition');
  const [key, p] = Object.entries(d.processors)[0] as [string, z.output<typeof processorSchema>];
  const concurrency = p.concurrency ?? defaultProcessorConcurrency();
  const maxDemand = p.maxDemand ?? defaultMaxDemand(concurrency);
  const topPartitionBy = definition.partitionBy;
  return {
    name: d.name,
    producer: {
      module: definition.producer.module,
      concurrency: d.producer.concurrency ?? 1,
      transformer: definition.producer.transformer,
      rateLimiting: d.producer.rateLimiting,
    },
    processor: {
      key,
      concurrency,
      maxDemand,
      minDemand: p.minDemand ?? Math.floor(maxDemand / 2),
      partitionBy:
        definition.processors[key]?.partitionBy ??
        topPartitionBy ??
        definition.producer.module.partitionBy,
      timeout: p.timeout,
    },
    batchers: Object.entries(d.batchers ?? {}).map(([name, b]) => {
      return {
        key: name,
        concurrency: b.concurrency ?? 1,
        batchSize: definition.batchers?.[name]?.batchSize ?? 100,
        batchTimeout: b.batchTimeout ?? 1000,
        partitionBy: definition.batchers?.[name]?.partitionBy ?? topPartitionBy,
        timeout: b.timeout,
      };
    }),
    context: definition.context as C,
    shutdownTimeout: d.shutdownTimeout ?? 30_000,
    logger: definition.logger,
    callbacks: definition,
  };
}
