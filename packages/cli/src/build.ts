/**
 * Turns a validated pipeline file into a `createPipeline` definition: the
 * producer by its `type`, the handlers module, and a built-in sink when the
 * file names no `handleBatch`.
 */
import {
  generatorProducer,
  type Logger,
  type PipelineDefinition,
  type ProducerModule,
} from '@sluice/core';
import { ConfigError, type LoadedConfig } from './config/load.ts';
import type { PipelineConfig } from './config/schema.ts';
import type { BatcherSinkConfig } from './config/sink-schema.ts';
import { loadHandlers, type Handlers } from './handlers.ts';
import { lifecycleOf, type Lifecycle } from './lifecycle.ts';
import { ENDLESS } from './producers/options.ts';
import { fileProducer } from './producers/file-producer.ts';
import { stdinProducer } from './producers/stdin-producer.ts';
import { batcherSink, sink } from './sinks.ts';
import { writeBatch, type Sink } from '@sluice/sinks';

/** How a run learns that its source has ended, one way or the other. */
export interface SourceEnd {
  /** Resolves once a finite source is exhausted; never for endless sources. */
  readonly exhausted: Promise<{ emitted: number }>;
  /** Resolves with the cause if the source fails for good (never rejects). */
  readonly failed: Promise<Error>;
}

/** A producer module, and how to tell when its source has ended. */
export interface BuiltProducer extends SourceEnd {
  readonly module: ProducerModule;
}

/**
 * The producer a file's `producer:` section names. `producer` is the
 * validated section; `input` the section as written (after `${VAR}`s),
 * which a broker producer's factory parses itself, so it sees exactly what
 * a caller in code would pass (and warns about deprecated keys once).
 *
 * A broker producer's package subpath is imported here, when a pipeline of
 * that type is built: an SQS pipeline runs without kafkajs, amqplib, redis or
 * the NATS client.
 */
export async function producerFor(
  producer: PipelineConfig['producer'],
  input: unknown,
): Promise<BuiltProducer> {
  let exhaust!: (result: { emitted: number }) => void;
  let fail!: (error: Error) => void;
  const end: SourceEnd = {
    exhausted: new Promise((resolve) => (exhaust = resolve)),
    failed: new Promise((resolve) => (fail = resolve)),
  };
  const events = { onExhausted: exhaust, onFailed: fail };
  switch (producer.type) {
    case 'generator': {
      const count = producer.count === ENDLESS ? undefined : producer.count;
      if (count !== undefined) exhaust({ emitted: count });
      return {
        ...end,
        module: generatorProducer({
          ...(count !== undefined && { count }),
          ...(producer.rate !== undefined && { rate: producer.rate }),
        }),
      };
    }
    case 'file':
      return { ...end, module: fileProducer({ ...events, ...producer }) };
    case 'stdin':
      return { ...end, module: stdinProducer({ ...events, ...producer }) };
    case 'rabbitmq': {
      const { rabbitmqProducer } = await import('@sluice/producers/rabbitmq');
      return {
        ...end,
        module: rabbitmqProducer(brokerOptions(input) as Parameters<typeof rabbitmqProducer>[0]),
      };
    }
    case 'sqs': {
      const { sqsProducer } = await import('@sluice/producers/sqs');
      return {
        ...end,
        module: sqsProducer(brokerOptions(input) as Parameters<typeof sqsProducer>[0]),
      };
    }
    case 'kafka': {
      const { kafkaProducer } = await import('@sluice/producers/kafka');
      return {
        ...end,
        module: kafkaProducer(brokerOptions(input) as Parameters<typeof kafkaProducer>[0]),
      };
    }
    case 'redis': {
      const { redisProducer } = await import('@sluice/producers/redis');
      return {
        ...end,
        module: redisProducer(brokerOptions(input) as Parameters<typeof redisProducer>[0]),
      };
    }
    case 'nats': {
      const { natsProducer } = await import('@sluice/producers/nats');
      return {
        ...end,
        module: natsProducer(brokerOptions(input) as Parameters<typeof natsProducer>[0]),
      };
    }
  }
}

/** How to treat the file's handler module. */
export interface BuildOptions {
  /**
   * `false` neither imports nor runs it (`validate --no-handlers`): its
   * callbacks are taken on trust, so nothing of it is checked.
   */
  readonly loadHandlers?: boolean;
}

/** The definition a loaded file describes, with its handlers imported. */
export async function buildDefinition(
  loaded: LoadedConfig,
  logger?: Logger,
  options: BuildOptions = {},
): Promise<PipelineDefinition> {
  return (await build(loaded, logger, options)).definition;
}

/** Stands in for each callback of a module that is not loaded. */
const unloaded = (): never => {
  throw new Error('the handler module was not loaded (validate --no-handlers)');
};

/** What a run needs from a file: the definition, when its source runs out, the module's hooks. */
export interface Built {
  readonly definition: PipelineDefinition;
  readonly end: SourceEnd;
  /** The handler module's `setup` and `teardown`, if it exports them. */
  readonly lifecycle: Lifecycle;
}

/** The definition, when its source runs out, and the handler module's hooks. */
export async function build(
  loaded: LoadedConfig,
  logger?: Logger,
  options: BuildOptions = {},
): Promise<Built> {
  const { config, file } = loaded;
  const { batchers } = config;
  const trusted = config.handlers !== undefined && options.loadHandlers === false;
  const handlers: Handlers =
    config.handlers === undefined
      ? {}
      : trusted
        ? { handleMessage: unloaded, handleBatch: unloaded }
        : await loadHandlers(file, config.handlers, [], loaded.where(['handlers']));
  const sinks = await batcherSinks(batchers);
  const unwritten = Object.keys(batchers ?? {}).filter((b) => sinks[b] === undefined);
  if (unwritten.length > 0 && handlers.handleBatch === undefined && config.sink === undefined) {
    throw new ConfigError(file, [
      {
        path: config.handlers === undefined ? 'batchers' : 'handlers',
        message:
          config.handlers === undefined
            ? `batchers need a handleBatch: give batcher ${unwritten.join(', ')} a sink, name a handlers module that exports handleBatch, or a file-level sink (stdout or file)`
            : `handler module ${config.handlers} does not export handleBatch, and there is no sink for batcher ${unwritten.join(', ')}`,
        ...loaded.where([config.handlers === undefined ? 'batchers' : 'handlers']),
      },
    ]);
  }
  const batcherNames = Object.keys(batchers ?? {});
  const onlyBatcher = batcherNames.length === 1 ? batcherNames[0] : undefined;
  const handleBatch = withSinks(
    sinks,
    handlers.handleBatch ?? (config.sink !== undefined ? sink(config.sink) : undefined),
  );
  const producer = await producerFor(config.producer, loaded.input['producer']);
  const definition: PipelineDefinition = {
    name: config.name,
    producer: {
      module: producer.module,
      ...(config.producer.concurrency !== undefined && {
        concurrency: config.producer.concurrency,
      }),
      ...(config.producer.rateLimiting !== undefined && {
        rateLimiting: config.producer.rateLimiting,
      }),
    },
    processors: config.processors,
    ...(batchers !== undefined && {
      // A batcher's `sink` is the file's, not createPipeline's.
      batchers: Object.fromEntries(
        Object.entries(batchers as Record<string, { sink?: unknown }>).map(
          ([name, { sink: _sink, ...batcher }]) => [name, batcher],
        ),
      ),
    }),
    ...(config.context !== undefined && { context: config.context }),
    ...(config.shutdownTimeout !== undefined && { shutdownTimeout: config.shutdownTimeout }),
    ...(config.stallTimeout !== undefined && { stallTimeout: config.stallTimeout }),
    ...(logger !== undefined && { logger }),
    // Without a handleMessage, messages pass through (to the only batcher, if there is one).
    handleMessage:
      handlers.handleMessage ??
      ((_processor, message) =>
        onlyBatcher !== undefined ? message.putBatcher(onlyBatcher) : message),
    ...(handleBatch !== undefined && { handleBatch }),
    ...(handlers.handleFailed !== undefined && { handleFailed: handlers.handleFailed }),
    ...(handlers.prepareMessages !== undefined && { prepareMessages: handlers.prepareMessages }),
  };
  return { definition, end: producer, lifecycle: closingSinks(lifecycleOf(handlers), sinks) };
}

type HandleBatch = NonNullable<PipelineDefinition['handleBatch']>;

/** Each batcher's sink, by batcher name, for the batchers that have one. */
async function batcherSinks(
  batchers: PipelineConfig['batchers'],
): Promise<Readonly<Record<string, Sink>>> {
  const sinks: Record<string, Sink> = {};
  const sections: Record<string, { sink?: BatcherSinkConfig | undefined }> = batchers ?? {};
  for (const [name, batcher] of Object.entries(sections)) {
    if (batcher.sink !== undefined) sinks[name] = await batcherSink(batcher.sink);
  }
  return sinks;
}

/**
 * A `handleBatch` that writes a batcher's batches to its sink, failing
 * exactly the messages whose write failed, and hands the other batchers'
 * batches to `fallback`.
 */
function withSinks(
  sinks: Readonly<Record<string, Sink>>,
  fallback: HandleBatch | undefined,
): HandleBatch | undefined {
  if (Object.keys(sinks).length === 0) return fallback;
  return (batcher, messages, info, context, signal) => {
    const target = sinks[batcher];
    if (target !== undefined) return writeBatch(target, messages, signal);
    if (fallback === undefined) {
      throw new Error(`batcher ${batcher} has no sink and no handleBatch`);
    }
    return fallback(batcher, messages, info, context, signal);
  };
}

/** The module's hooks, with the sinks closed after its teardown. */
function closingSinks(lifecycle: Lifecycle, sinks: Readonly<Record<string, Sink>>): Lifecycle {
  const all = Object.values(sinks);
  if (all.length === 0) return lifecycle;
  const { teardown } = lifecycle;
  return {
    ...lifecycle,
    teardown: async (context) => {
      try {
        await teardown?.(context);
      } finally {
        await Promise.all(all.map((s) => s.close()));
      }
    },
  };
}

/**
 * A broker producer's own options: the file's producer section, as
 * written, without the keys the pipeline reads (type, concurrency,
 * rateLimiting). The file was validated with the producer's schema, so the
 * rest is its options; its factory parses them again and fills in defaults.
 */
function brokerOptions(section: unknown): unknown {
  const {
    type: _type,
    concurrency: _concurrency,
    rateLimiting: _rateLimiting,
    ...options
  } = section as Record<string, unknown>;
  return options;
}
