/**
 * A pipeline's producer module (SQS, Kafka, RabbitMQ, the generator, your
 * own) as the source of a flow, and when its messages are acknowledged.
 *
 * The instances run in the producer stages a pipeline uses
 * (producer-stage.ts), so demand, the transformer and draining behave the
 * same. The flow's source layer (the stages before the first `partition`,
 * `shuffle` or `reduce`) stands where a pipeline's processors stand: it
 * acks a chunk of messages once its fused operations have handled the
 * chunk, and fails the chunk through the acknowledgers if one of them
 * throws, so the producer's failure policy applies. Later layers hold
 * events whose messages are already acked.
 *
 * A run ends by the `signal`: the producers drain as in `pipeline.stop()`,
 * the flow finishes what they emitted, and then, as in a pipeline, acks
 * settle before the instances and the module are closed. A failure, or
 * leaving `toAsyncIterable` early, stops the source layer and the
 * producers at once instead: what was not handled is not acked, and the
 * source delivers it again.
 */
import type { z } from 'zod';
import { SluiceError } from '../errors.ts';
import { parseOptions, zFunction } from '../options/parse.ts';
import { optionBlocks } from '../options/blocks.ts';
import { lazily, zod } from '../options/zod.ts';
import type { Agrees, Assert } from '../internal/agrees.ts';
import { isThenable } from '../internal/thenable.ts';
import { defaultLogger } from '../logger.ts';
import {
  defaultMaxDemand,
  resolveDefinition,
  type ResolvedDefinition,
} from '../pipeline/definition.ts';
import type { Message } from '../pipeline/message.ts';
import type { ProducerModule, Transformer } from '../pipeline/producer-module.ts';
import { startProducer } from '../pipeline/producer-stage.ts';
import { PipelineRuntime } from '../pipeline/runtime.ts';
import { DemandDispatcher } from '../stage/demand-dispatcher.ts';
import type { Stage } from '../stage/stage.ts';
import { runOps, type OpFactory } from './ops.ts';

/** `Flow.fromProducer`'s options. */
export const fromProducerSchema = lazily(() => {
  const z = zod();
  const { abortSignal, name, nonNegativeInt, pinoLogger, positiveInt } = optionBlocks();
  return z
    .object({
      select: zFunction<(message: Message) => unknown>().optional().meta({
        description:
          "The event each message becomes, e.g. `(m) => m` for the whole Message; the message's `data` when unset. A message the source layer marks with `message.fail(reason)` is acked as failed.",
      }),
      signal: abortSignal.optional().meta({
        description:
          'Aborting it stops the flow: the producers stop fetching, what they emitted goes through the flow and is acked, and `run()` resolves once the instances are closed. Without it the flow runs until an operation throws.',
      }),
      concurrency: positiveInt.default(1).meta({ description: 'Producer instances.' }),
      stages: positiveInt.default(1).meta({
        description:
          'Stages of the source layer, each taking messages from every producer. More stages run more async `each` or `mapBatch` calls at once.',
      }),
      maxDemand: positiveInt.optional().meta({
        description:
          "Messages each source stage asks each producer for: what it may hold un-acked. As a pipeline's processors when unset: `400 / stages`, between 10 and 100.",
      }),
      minDemand: nonNegativeInt.optional().meta({
        description:
          'A source stage asks for more when it holds this few; half of `maxDemand` when unset.',
      }),
      transformer: zFunction<Transformer>().optional().meta({
        description: 'Maps what the producer emits to a Message, if it emits something else.',
      }),
      name: name.default('flow').meta({
        description: 'Names the flow in logs, telemetry and broker connection names.',
      }),
      logger: pinoLogger.optional().meta({
        description:
          'A pino logger; a quiet pino logger (warnings and errors) on stderr when unset.',
      }),
    })
    .strict()
    .superRefine((o, ctx) => {
      const max = o.maxDemand ?? defaultMaxDemand(o.stages);
      if (o.minDemand !== undefined && o.minDemand >= max) {
        ctx.addIssue({
          code: 'custom',
          path: ['minDemand'],
          message: `expected less than maxDemand (${max})`,
        });
      }
    });
});

/** Options of `Flow.fromProducer`. `T` is the type of the flow's events (see `select`). */
export interface FromProducerOptions<T = unknown> extends Omit<
  z.input<ReturnType<typeof fromProducerSchema>>,
  'select'
> {
  /** The event each message becomes; the message's `data` when unset. */
  readonly select?: ((message: Message) => T) | undefined;
}

type _Agrees = Assert<Agrees<FromProducerOptions, z.input<ReturnType<typeof fromProducerSchema>>>>;

/** A validated producer source, as a flow keeps it until it runs. */
export interface ProducerSource {
  /**
   * What the producer instances are told about their consumers: the
   * source layer as the processor group.
   */
  readonly definition: ResolvedDefinition<unknown>;
  readonly select: ((message: Message) => unknown) | undefined;
  readonly signal: AbortSignal | undefined;
}

/** Validates the options of `Flow.fromProducer`; throws naming each bad option. */
export function producerSource(
  module: ProducerModule,
  options: FromProducerOptions<unknown>,
): ProducerSource {
  if (typeof (module as { init?: unknown } | null)?.init !== 'function') {
    throw new SluiceError(
      'ERR_INVALID_OPTIONS',
      'Flow.fromProducer: module: expected a producer module (an object with an init function)',
    );
  }
  const o = parseOptions(fromProducerSchema(), options, 'Flow.fromProducer options');
  const definition = resolveDefinition({
    name: o.name,
    producer: {
      module,
      concurrency: o.concurrency,
      ...(o.transformer !== undefined && { transformer: o.transformer }),
    },
    processors: {
      flow: {
        concurrency: o.stages,
        ...(o.maxDemand !== undefined && { maxDemand: o.maxDemand }),
        ...(o.minDemand !== undefined && { minDemand: o.minDemand }),
      },
    },
    ...(o.logger !== undefined && { logger: o.logger }),
    handleMessage: () => {
      throw new SluiceError('ERR_PIPELINE_STATE', 'a flow has no handleMessage');
    },
  });
  return { definition, select: o.select, signal: o.signal };
}

/** One run of a producer source. */
export interface ProducerRun {
  /** The producer stages, for the source layer to subscribe to. */
  readonly producers: readonly Stage<never, Message>[];
  /**
   * The source layer's operations as one: messages in, their events out,
   * and the messages acked once the operations have returned (or failed
   * with the error they threw).
   */
  acking(ops: readonly OpFactory[]): OpFactory;
  /**
   * The run closes once every stage of the source layer has ended, or as
   * soon as any stage of the flow fails.
   */
  watch(
    sourceLayer: readonly Stage<unknown, unknown>[],
    all: readonly Stage<unknown, unknown>[],
  ): void;
  /**
   * Stops the source layer and the producers if they still run, lets acks
   * settle, then closes the instances and runs the module's cleanup. Later
   * layers end on their own, seeing their input end (or fail). Idempotent.
   */
  close(): Promise<void>;
}

const ignore = (): void => undefined;

/** Starts the producer instances of one run. */
export function startProducerSource(source: ProducerSource): ProducerRun {
  const d = source.definition;
  const logger = (d.logger ?? defaultLogger()).child({ flow: d.name });
  const module = d.producer.module;
  const prepared = Promise.resolve().then(() =>
    module.prepareForStart?.({
      pipeline: d.name,
      concurrency: d.producer.concurrency,
      logger: logger.child({ stage: 'producer' }),
      definition: d,
    }),
  );
  prepared.catch(() => undefined); // each instance's init fails with it
  // As in a pipeline, the instances start once prepareForStart has run.
  const starting: ProducerModule = {
    init: async (context) => {
      await prepared;
      return module.init(context);
    },
  };
  const rt = new PipelineRuntime({ ...d, producer: { ...d.producer, module: starting } }, logger);
  const handles = Array.from({ length: d.producer.concurrency }, (_, i) =>
    startProducer(
      rt,
      i,
      new DemandDispatcher<Message>({ shuffleDemandsOnFirstDispatch: true }),
      undefined,
    ),
  );
  let sourceStages: readonly Stage<unknown, unknown>[] = [];
  /** Set once the run is closing: a chunk finishing after that is left un-acked. */
  let stopped = false;
  let closed: Promise<void> | undefined;

  const drain = (): void => {
    rt.draining = true;
    for (const h of handles) {
      const go = (): Promise<void> => h.drain();
      void h.ready.then(go, go);
    }
  };
  const signal = source.signal;
  if (signal?.aborted === true) drain();
  else signal?.addEventListener('abort', drain, { once: true });

  const teardown = async (): Promise<void> => {
    stopped = true;
    signal?.removeEventListener('abort', drain);
    await Promise.all(sourceStages.map((s) => s.kill('shutdown')));
    await Promise.all(handles.map((h) => h.stage.kill('shutdown')));
    await rt.settleAcks();
    await Promise.all(handles.map((h) => h.close('shutdown')));
    try {
      const cleanup = await prepared.catch(() => undefined);
      if (typeof cleanup === 'function') await cleanup();
    } catch (error) {
      logger.error({ err: error }, 'producer module cleanup failed');
    }
  };
  const close = (): Promise<void> => (closed ??= teardown());

  const select = source.select ?? ((m: Message): unknown => m.data);
  const settle = (messages: Message[]): void => {
    if (stopped) return;
    if (messages.every((m) => m.ok)) rt.ack(messages, []);
    else {
      rt.ack(
        messages.filter((m) => m.ok),
        messages.filter((m) => !m.ok),
      );
    }
  };
  const fail = (messages: Message[], error: unknown): void => {
    if (stopped) return;
    for (const m of messages) if (m.ok) m.status = { kind: 'error', error, callback: 'flow' };
    rt.ack([], messages);
  };

  return {
    producers: handles.map((h) => h.stage),
    acking: (factories) => () => {
      const ops = factories.map((make) => make());
      return (events) => {
        const messages = events as Message[];
        let out: unknown[] | Promise<unknown[]>;
        try {
          out = runOps(ops, messages.map(select));
        } catch (error) {
          fail(messages, error);
          throw error;
        }
        if (!isThenable(out)) {
          settle(messages);
          return out;
        }
        return out.then(
          (result) => {
            settle(messages);
            return result;
          },
          (error: unknown) => {
            fail(messages, error);
            throw error;
          },
        );
      };
    },
    watch(sourceLayer, all) {
      sourceStages = sourceLayer;
      let open = sourceLayer.length;
      for (const s of sourceLayer) {
        s.join().then(() => {
          if (--open === 0) void close();
        }, ignore);
      }
      for (const s of all) s.join().catch(() => void close());
    },
    close,
  };
}
