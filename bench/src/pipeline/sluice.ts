/**
 * The Sluice side of the pipeline bench: one pipeline per run, shaped by
 * the scenario, acked into a counting acknowledger that records latency.
 */
import { createPipeline, Message, type Acknowledger, type ProducerModule } from '@sluice/core';
import { Histogram } from '../histogram.ts';
import { BATCH_SIZE, order, pace, type Order } from './shape.ts';

/** What one run observed. */
export interface RunObservation {
  readonly latency: Histogram;
  /** Peak RSS (bytes) after 1M, 5M and 10M messages, for F. */
  readonly checkpoints: { readonly at: number; readonly maxRssBytes: number }[];
}

/** Records latencies of acked messages, one histogram entry per run of equal emission times. */
export function recordLatencies(
  latency: Histogram,
  messages: readonly { emittedAt: number }[],
  now: number,
): void {
  let i = 0;
  while (i < messages.length) {
    const t = (messages[i] as { emittedAt: number }).emittedAt;
    let j = i + 1;
    while (j < messages.length && (messages[j] as { emittedAt: number }).emittedAt === t) j++;
    latency.record(now - t, j - i);
    i = j;
  }
}

const maxRssBytes = (): number => process.resourceUsage().maxRSS * 1024;

/** A producer of `n` benchmark messages, as fast as it is asked: a class, as a producer's is. */
class BenchSource {
  #next = 0;
  readonly #n: number;
  readonly #acknowledger: Acknowledger;

  constructor(n: number, acknowledger: Acknowledger) {
    this.#n = n;
    this.#acknowledger = acknowledger;
  }

  handleDemand(demand: number): Message<Order>[] {
    const count = Math.min(demand, this.#n - this.#next);
    const out = new Array<Message<Order>>(count);
    for (let i = 0; i < count; i++) {
      const id = this.#next++;
      out[i] = new Message({ data: order(id), id, acknowledger: this.#acknowledger });
    }
    return out;
  }
}

const benchProducer = (n: number, acknowledger: Acknowledger): ProducerModule => ({
  init: () => new BenchSource(n, acknowledger),
});

/**
 * G's producer: `n` messages paced at `rate` per second, whatever the
 * demand (the stage buffers what was not asked for yet), from `begin()`
 * on, which the run calls once the pipeline has started (so start-up time
 * is not counted as latency). Each message's emission time goes to
 * `emitted[id]`.
 */
function pacedProducer(
  n: number,
  rate: number,
  emitted: Float64Array,
  acknowledger: Acknowledger,
): { module: ProducerModule; begin: () => void } {
  let emit: ((messages: readonly unknown[]) => void) | undefined;
  let stop = (): void => undefined;
  return {
    module: {
      init: (context) => {
        emit = (messages) => context.emit(messages);
        return { handleDemand: () => undefined, terminate: () => stop() };
      },
    },
    begin: () => {
      stop = pace(n, rate, (from, count) => {
        const out = new Array<Message<Order>>(count);
        for (let i = 0; i < count; i++) {
          out[i] = new Message({ data: order(from + i), id: from + i, acknowledger });
        }
        emitted.fill(performance.now(), from, from + count);
        emit?.(out);
      });
    },
  };
}

export interface SluiceShape {
  readonly batcher: boolean;
  readonly partition: boolean;
  readonly json: boolean;
  readonly sleepMs: number;
  readonly concurrency: number;
  readonly checkpoints: readonly number[];
  /** G: the producer is paced at this many messages per second. */
  readonly paced?: number;
  /** A-sync: handleMessage returns the message without a promise. */
  readonly sync?: boolean;
}

export const sluice = (over: Partial<SluiceShape>): SluiceShape => ({
  batcher: false,
  partition: false,
  json: false,
  sleepMs: 0,
  concurrency: 2,
  checkpoints: [],
  ...over,
});

/*
 * The handlers, written once at module level as a user's are. Every run
 * builds a new pipeline in the same process (the warm-up, then the timed
 * run): with a new closure per run, the timed run's first calls met code
 * that V8 had optimized for the warm-up's function ("wrong call target"),
 * threw it away and compiled it again while the clock ran. A service
 * defines its handler once, so its pipeline never pays that.
 */
const noop = async (_p: string, m: Message): Promise<Message> => m;
const syncNoop = (_p: string, m: Message): Message => m;
const toJson = async (_p: string, m: Message): Promise<Message> =>
  m.putData(JSON.stringify(m.data));
const sleepers = new Map<number, (p: string, m: Message) => Promise<Message>>();

/** The shape's handleMessage. */
function handlerFor(shape: SluiceShape) {
  const sleep = shape.sleepMs;
  if (shape.json) return toJson;
  if (sleep > 0) {
    let sleeper = sleepers.get(sleep);
    if (sleeper === undefined) {
      sleeper = async (_p: string, m: Message) => {
        await new Promise((resolve) => setTimeout(resolve, sleep));
        return m;
      };
      sleepers.set(sleep, sleeper);
    }
    return sleeper;
  }
  return shape.sync === true ? syncNoop : noop;
}

const handleBatch = async (_b: string, messages: Message[]): Promise<Message[]> => messages;

/**
 * The run's acknowledger: a class, so every run's `ack` is the same
 * function (as a producer's acknowledger is), counting and recording the
 * latency of what is acked.
 */
class CountingAcknowledger implements Acknowledger {
  acked = 0;
  readonly checkpoints: { at: number; maxRssBytes: number }[] = [];
  #nextCheckpoint = 0;
  readonly #n: number;
  readonly #shape: SluiceShape;
  readonly #latency: Histogram;
  readonly #emitted: Float64Array | undefined;
  readonly #done: () => void;

  constructor(
    n: number,
    shape: SluiceShape,
    latency: Histogram,
    emitted: Float64Array | undefined,
    done: () => void,
  ) {
    this.#n = n;
    this.#shape = shape;
    this.#latency = latency;
    this.#emitted = emitted;
    this.#done = done;
  }

  ack(_ref: unknown, successful: Message[], failed: Message[]): void {
    const now = performance.now();
    this.#record(successful, now);
    this.#record(failed, now);
    this.acked += successful.length + failed.length;
    const at = this.#shape.checkpoints;
    while (this.#nextCheckpoint < at.length && this.acked >= (at[this.#nextCheckpoint] as number)) {
      this.checkpoints.push({ at: at[this.#nextCheckpoint] as number, maxRssBytes: maxRssBytes() });
      this.#nextCheckpoint++;
    }
    if (this.acked === this.#n) this.#done();
  }

  #record(messages: Message[], now: number): void {
    const emitted = this.#emitted;
    if (emitted === undefined) recordLatencies(this.#latency, messages, now);
    else for (const m of messages) this.#latency.record(now - (emitted[m.id as number] as number));
  }
}

export async function runSluice(n: number, shape: SluiceShape): Promise<RunObservation> {
  const latency = new Histogram();
  const paced = shape.paced;
  const emitted = paced === undefined ? undefined : new Float64Array(n);
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const acknowledger = new CountingAcknowledger(n, shape, latency, emitted, done);
  const pacer =
    paced === undefined || emitted === undefined
      ? undefined
      : pacedProducer(n, paced, emitted, acknowledger);
  const pipeline = createPipeline({
    name: 'bench',
    producer: { module: pacer?.module ?? benchProducer(n, acknowledger) },
    processors: {
      default: {
        concurrency: shape.concurrency,
        // Diagnostic knob: the default demand unless BENCH_MAX_DEMAND is set.
        ...(process.env['BENCH_MAX_DEMAND'] !== undefined && {
          maxDemand: Number(process.env['BENCH_MAX_DEMAND']),
        }),
        ...(process.env['BENCH_MIN_DEMAND'] !== undefined && {
          minDemand: Number(process.env['BENCH_MIN_DEMAND']),
        }),
        ...(shape.partition && { partitionBy }),
      },
    },
    ...(shape.batcher && {
      batchers: { default: { batchSize: BATCH_SIZE, batchTimeout: 1000, concurrency: 2 } },
    }),
    handleMessage: handlerFor(shape),
    handleBatch,
  });
  await pipeline.start();
  pacer?.begin();
  await finished;
  await pipeline.stop();
  return { latency, checkpoints: acknowledger.checkpoints };
}

const partitionBy = (m: Message): number => (m.data as Order).id % 2;
