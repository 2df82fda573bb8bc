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
 * A partitioned group (`partitionBy`) is refused: its hash spreads keys
 * over exactly `concurrency` partitions, so a new count would move a key to
 * another processor while its earlier messages are still in flight there,
 * and per-key order would be lost.
 */
import { SluiceError } from '../errors.ts';
import { parseOptions, show } from '../options/parse.ts';
import { optionBlocks } from '../options/blocks.ts';
import type { Stage } from '../stage/stage.ts';
import type { Batcher } from './batcher.ts';
import type { Message } from './message.ts';
import { RETIRE, startProcessor } from './processor-stage.ts';
import type { PipelineRuntime } from './runtime.ts';
import { channels } from './telemetry.ts';

/** What `pipeline.resize` returns, and what `sluice:pipeline:resize` publishes. */
export interface ResizeResult {
  /** The stage group's name, as `pipeline.topology()` lists it. */
  readonly stage: string;
  readonly kind: 'processor' | 'batcher';
  /** Its processor or batcher key. */
  readonly key: string;
  /** Concurrency before and after. */
  readonly from: number;
  readonly to: number;
}

/**
 * The processors of a running pipeline: the active ones, and every one
 * started (retired ones included) so that `stop()` waits for them all.
 */
export class ProcessorPool {
  readonly #rt: PipelineRuntime;
  readonly #producers: readonly Stage<never, Message>[];
  readonly #partitioned: boolean;
  readonly #batchers: ReadonlyMap<string, Batcher>;
  readonly #started: (stage: Stage<never, unknown>) => void;
  #nextIndex = 0;
  /** The processors taking work now. */
  readonly active: Stage<Message, never>[] = [];
  /** Every processor started and not yet stopped, retired ones included. */
  readonly all: Stage<Message, never>[] = [];

  constructor(
    rt: PipelineRuntime,
    producers: readonly Stage<never, Message>[],
    partitioned: boolean,
    batchers: ReadonlyMap<string, Batcher>,
    started: (stage: Stage<never, unknown>) => void,
  ) {
    this.#rt = rt;
    this.#producers = producers;
    this.#partitioned = partitioned;
    this.#batchers = batchers;
    this.#started = started;
  }

  /** Starts or retires processors until `concurrency` are active. */
  resize(concurrency: number): void {
    while (this.active.length < concurrency) {
      const stage = startProcessor(
        this.#rt,
        this.#nextIndex++,
        this.#producers,
        this.#partitioned,
        this.#batchers,
      );
      this.active.push(stage);
      this.all.push(stage);
      this.#started(stage);
    }
    for (const stage of this.active.splice(concurrency)) {
      stage.send(RETIRE);
      // Once it has stopped, nothing is left to wait for or to watch.
      void stage
        .join()
        .catch(() => undefined)
        .then(() => {
          this.all.splice(this.all.indexOf(stage), 1);
          this.#rt.stalls.forget(stage.name);
        });
    }
  }

  /** Resolves once every processor ever started has stopped. */
  async join(): Promise<void> {
    await Promise.all(this.all.map((s) => s.join().catch(() => undefined)));
  }
}

/** What {@link resizeStage} works on: a pipeline's state and, once started, its stages. */
export interface Resizable {
  readonly pipeline: string;
  readonly state: string;
  readonly rt: PipelineRuntime<unknown> | undefined;
  readonly processors: ProcessorPool | undefined;
  readonly batchers: readonly Batcher[];
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
    if (d.processor.partitionBy !== undefined) {
      throw refusePartitioned(`processors.${d.processor.key}`, processorName);
    }
    const from = processors.active.length;
    processors.resize(to);
    result = { stage: processorName, kind: 'processor', key: d.processor.key, from, to };
  } else if (batcher !== undefined) {
    const def = d.batchers.find((b) => b.key === batcher.key);
    const batcherName = `${d.name}.batcher.${batcher.key}`;
    if (def?.partitionBy !== undefined) {
      throw refusePartitioned(`batchers.${batcher.key}`, batcherName);
    }
    const from = batcher.concurrency;
    batcher.resize(to);
    result = { stage: batcherName, kind: 'batcher', key: batcher.key, from, to };
  } else {
    const known = [processorName, ...d.batchers.map((b) => `${d.name}.batcher.${b.key}`)];
    throw new SluiceError(
      'ERR_INVALID_OPTIONS',
      `resize: no processor or batcher named ${show(name)} in pipeline ${d.name}; the stages are ${known.map((k) => show(k)).join(', ')}`,
    );
  }
  rt.logger.info({ ...result }, `resized ${result.stage} from ${result.from} to ${result.to}`);
  if (channels.pipelineResize.hasSubscribers) {
    channels.pipelineResize.publish({ pipeline: d.name, ...result });
  }
  return result;
}

function refusePartitioned(path: string, stage: string): SluiceError {
  return new SluiceError(
    'ERR_INVALID_OPTIONS',
    `resize: ${stage} is partitioned (${path}.partitionBy, or the pipeline's or producer's partitionBy): a new concurrency would move keys to other ${path.startsWith('batchers') ? 'batch processors' : 'processors'} while their earlier messages are still in flight, losing per-key order; change concurrency in the definition and restart instead`,
  );
}
