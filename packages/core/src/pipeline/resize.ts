/**
 * `pipeline.resize(name, concurrency)`: more or fewer processors, or batch
 * processor lanes, while the pipeline runs.
 *
 * Broadway cannot do this; GenStage's subscribe and cancel can, and this is
 * built from them:
 *
 * - Growing a processor group starts new processors that subscribe to every
 *   producer with the group's `minDemand` and `maxDemand`, as the first
 *   ones did. The producers' demand dispatcher hands them work from their
 *   first ask.
 * - Shrinking it retires the newest processors: each cancels its
 *   subscriptions from its own side. A producer then sends it nothing more,
 *   and its cancel confirmation arrives after every event it already sent,
 *   so the processor handles and acks (or hands to its batchers) all it was
 *   given before it stops. What the producers hold goes to the others.
 * - A batcher's lanes share one queue of closed batches: growing adds
 *   lanes, shrinking removes them, and a lane removed while it runs a batch
 *   finishes it first.
 *
 * - A partitioned processor group (`partitionBy`) is resized in three
 *   steps, because its hash spreads keys over exactly `concurrency`
 *   partitions and a new count moves keys: every processor is retired (it
 *   handles and acks, or hands to its batchers, all it was sent, then
 *   stops) while the producers' partition dispatchers keep what arrives
 *   meanwhile in order; once all have stopped, the dispatchers route what
 *   they hold again over the new count, and new processors take the
 *   partitions. No key is ever in flight on two processors, so per-key
 *   order holds. Such resizes run one after another.
 *
 * A partitioned batcher is still refused.
 */
import { SluiceError } from '../errors.ts';
import { parseOptions, show } from '../options/parse.ts';
import { optionBlocks } from '../options/blocks.ts';
import type { Logger } from '../logger.ts';
import { DemandDispatcher } from '../stage/demand-dispatcher.ts';
import type { Dispatcher } from '../stage/dispatcher.ts';
import { PartitionDispatcher } from '../stage/partition-dispatcher.ts';
import type { Stage } from '../stage/stage.ts';
import type { Subscription } from '../stage/types.ts';
import type { PartitionBy, ResolvedDefinition } from './definition.ts';
import type { ProducerHandle } from './producer-stage.ts';
import { partitioner } from './partition.ts';
import type { Batcher } from './batcher.ts';
import type { Message } from './message.ts';
import { RETIRE, startProcessor } from './processor-stage.ts';
import type { PipelineRuntime } from './runtime.ts';
import { channels } from './telemetry.ts';

/** What `pipeline.resize` returns; `sluice:pipeline:resize` publishes the same without `applied`. */
export interface ResizeResult {
  /** The stage group's name, as `pipeline.topology()` lists it. */
  readonly stage: string;
  readonly kind: 'processor' | 'batcher';
  /** Its processor or batcher key. */
  readonly key: string;
  /** Concurrency before and after. */
  readonly from: number;
  readonly to: number;
  /**
   * Resolves once the new concurrency is in force: at once for an
   * unpartitioned group or a batcher, and for a partitioned group once
   * every processor has finished what it held and the new ones run.
   */
  readonly applied: Promise<void>;
}

/** Routes the producers' queued and future messages over `count` partitions. */
export type Repartition = (count: number) => void;

/**
 * The dispatchers of the producer stages, one per producer: by demand, or
 * by `partitionBy` over `count` processors, with the `repartition` a
 * partitioned resize uses.
 */
export function processorDispatchers(
  partitionBy: PartitionBy | undefined,
  count: number,
  logger: Logger,
): { create(): Dispatcher<Message, Subscription>; repartition: Repartition | undefined } {
  if (partitionBy === undefined) {
    return {
      create: () => new DemandDispatcher<Message>({ shuffleDemandsOnFirstDispatch: true }),
      repartition: undefined,
    };
  }
  const made: PartitionDispatcher<Message>[] = [];
  return {
    create() {
      const hash = partitioner(partitionBy, count, logger);
      const dispatcher = new PartitionDispatcher<Message>({ partitions: count, hash });
      made.push(dispatcher);
      return dispatcher;
    },
    repartition(to) {
      for (const d of made) d.repartition(to, partitioner(partitionBy, to, logger));
    },
  };
}

/**
 * The processors of a running pipeline: the active ones, and every one
 * started (retired ones included) so that `stop()` waits for them all.
 */
export class ProcessorPool {
  readonly #rt: PipelineRuntime;
  readonly #producers: readonly Stage<never, Message>[];
  readonly #repartition: Repartition | undefined;
  readonly #batchers: ReadonlyMap<string, Batcher>;
  readonly #started: (stage: Stage<never, unknown>) => void;
  #nextIndex = 0;
  #concurrency = 0;
  /** The partitioned resizes asked for, one after another. */
  #pending: Promise<void> = Promise.resolve();
  /** The processors taking work now. */
  readonly active: Stage<Message, never>[] = [];
  /** Every processor started and not yet stopped, retired ones included. */
  readonly all: Stage<Message, never>[] = [];

  /** `repartition` is given for a partitioned group, undefined for an unpartitioned one. */
  constructor(
    rt: PipelineRuntime,
    producers: readonly Stage<never, Message>[],
    repartition: Repartition | undefined,
    batchers: ReadonlyMap<string, Batcher>,
    started: (stage: Stage<never, unknown>) => void,
  ) {
    this.#rt = rt;
    this.#producers = producers;
    this.#repartition = repartition;
    this.#batchers = batchers;
    this.#started = started;
  }

  /** The concurrency in force once every resize asked for is applied. */
  get concurrency(): number {
    return this.#concurrency;
  }

  /**
   * Starts or retires processors until `concurrency` are active; resolves
   * once they are (see the top of this file for a partitioned group).
   */
  resize(concurrency: number): Promise<void> {
    const first = this.all.length === 0 && this.#concurrency === 0;
    this.#concurrency = concurrency;
    if (this.#repartition === undefined || first) {
      this.#startUpTo(concurrency);
      void this.#retire(this.active.splice(concurrency));
      return Promise.resolve();
    }
    const applied = this.#pending.then(() => this.#resizePartitioned(concurrency));
    this.#pending = applied.catch(() => undefined);
    return applied;
  }

  #startUpTo(concurrency: number): void {
    while (this.active.length < concurrency) {
      const stage = startProcessor(
        this.#rt,
        this.#nextIndex++,
        this.#producers,
        this.#repartition !== undefined,
        this.#batchers,
      );
      this.active.push(stage);
      this.all.push(stage);
      this.#started(stage);
    }
  }

  #retire(stages: readonly Stage<Message, never>[]): Promise<void> {
    const stopped = stages.map((stage) => {
      stage.send(RETIRE);
      // Once it has stopped, nothing is left to wait for or to watch.
      return stage
        .join()
        .catch(() => undefined)
        .then(() => {
          this.all.splice(this.all.indexOf(stage), 1);
          this.#rt.stalls.forget(stage.name);
        });
    });
    return Promise.all(stopped).then(() => undefined);
  }

  /** Quiesce, repartition, restart: processor `i` takes partition `i`. */
  async #resizePartitioned(concurrency: number): Promise<void> {
    if (this.active.length === concurrency) return;
    await this.#retire(this.active.splice(0));
    // The pipeline was torn down meanwhile: there is nothing to take over.
    if (this.#producers.some((p) => p.stopped)) return;
    (this.#repartition as Repartition)(concurrency);
    this.#nextIndex = 0;
    this.#startUpTo(concurrency);
  }

  /** Resolves once every processor ever started has stopped, after any resize under way. */
  async join(): Promise<void> {
    for (;;) {
      const pending = this.#pending;
      await pending;
      await Promise.all(this.all.map((s) => s.join().catch(() => undefined)));
      if (pending === this.#pending && this.all.every((s) => s.stopped)) return;
    }
  }
}

/** What {@link resizeStage} works on: a pipeline's state and, once started, its stages. */
export interface Resizable {
  readonly pipeline: string;
  readonly state: string;
  readonly rt: PipelineRuntime<unknown> | undefined;
  readonly processors: ProcessorPool | undefined;
  readonly batchers: readonly Batcher[];
  /** Told the definition with the concurrency in force, once a resize is applied. */
  readonly producers: readonly Pick<ProducerHandle, 'resized'>[];
}

/**
 * Resizes the processor group or batcher called `name`: its key (as in
 * `processors` or `batchers`) or its topology name (`<pipeline>.processor.<key>`,
 * `<pipeline>.batcher.<key>`). Throws a SluiceError naming what is wrong.
 */
export function resizeStage(on: Resizable, name: string, concurrency: number): ResizeResult {
  const { rt, processors } = on;
  if (on.state !== 'running' || rt === undefined || processors === undefined) {
    throw new SluiceError(
      'ERR_PIPELINE_STATE',
      `resize: pipeline ${on.pipeline} is ${on.state}, not running`,
    );
  }
  const d = rt.definition;
  const to = parseOptions(
    optionBlocks().concurrencyInt,
    concurrency,
    `resize ${show(name)}: concurrency`,
  );
  const processorName = `${d.name}.processor.${d.processor.key}`;
  const isProcessor = name === processorName || name === d.processor.key;
  const batcher = on.batchers.find((b) => name === `${d.name}.batcher.${b.key}` || name === b.key);
  if (isProcessor && batcher !== undefined && name === d.processor.key) {
    throw new SluiceError(
      'ERR_INVALID_OPTIONS',
      `resize: ${show(name)} is both the processor key and a batcher key; use ${show(processorName)} or ${show(`${d.name}.batcher.${name}`)}`,
    );
  }
  let result: ResizeResult;
  if (isProcessor) {
    const from = processors.concurrency;
    const applied = processors.resize(to);
    const stage = processorName;
    result = { stage, kind: 'processor', key: d.processor.key, from, to, applied };
  } else if (batcher !== undefined) {
    const def = d.batchers.find((b) => b.key === batcher.key);
    const batcherName = `${d.name}.batcher.${batcher.key}`;
    if (def?.partitionBy !== undefined) {
      throw refusePartitioned(`batchers.${batcher.key}`, batcherName);
    }
    const from = batcher.concurrency;
    batcher.resize(to);
    const applied = Promise.resolve();
    result = { stage: batcherName, kind: 'batcher', key: batcher.key, from, to, applied };
  } else {
    const known = [processorName, ...d.batchers.map((b) => `${d.name}.batcher.${b.key}`)];
    throw new SluiceError(
      'ERR_INVALID_OPTIONS',
      `resize: no processor or batcher named ${show(name)} in pipeline ${d.name}; the stages are ${known.map((k) => show(k)).join(', ')}`,
    );
  }
  const { applied, ...event } = result;
  rt.logger.info(event, `resized ${result.stage} from ${result.from} to ${result.to}`);
  if (channels.pipelineResize.hasSubscribers) {
    channels.pipelineResize.publish({ pipeline: d.name, ...event });
  }
  void applied.then(
    () => {
      const now = inForce(d, processors.concurrency, on.batchers);
      for (const p of on.producers) p.resized(now);
    },
    (error: unknown) => {
      rt.logger.error({ err: error, ...event }, `resizing ${result.stage} failed`);
    },
  );
  return result;
}

/** `d` with the processor and batcher concurrency now in force. */
function inForce(
  d: ResolvedDefinition<unknown>,
  processors: number,
  batchers: readonly Batcher[],
): ResolvedDefinition<unknown> {
  return {
    ...d,
    processor: { ...d.processor, concurrency: processors },
    batchers: d.batchers.map((b) => ({
      ...b,
      concurrency: batchers.find((live) => live.key === b.key)?.concurrency ?? b.concurrency,
    })),
  };
}

function refusePartitioned(path: string, stage: string): SluiceError {
  return new SluiceError(
    'ERR_INVALID_OPTIONS',
    `resize: ${stage} is partitioned (${path}.partitionBy, or the pipeline's partitionBy): a new concurrency would move keys to other batch processors while their earlier batches are still in flight, losing per-key order; change concurrency in the definition and restart instead`,
  );
}
