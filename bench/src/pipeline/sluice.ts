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

/** A producer of `n` benchmark messages, as fast as it is asked. */
function benchProducer(n: number, acknowledger: Acknowledger): ProducerModule {
  let next = 0;
  return {
    init: () => ({
      handleDemand(demand: number) {
        const count = Math.min(demand, n - next);
        const out = new Array<Message<Order>>(count);
        for (let i = 0; i < count; i++) {
          const id = next++;
          out[i] = new Message({ data: order(id), id, acknowledger });
        }
        return out;
      },
    }),
  };
}

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

/** The shape's handleMessage, written as a user would. */
function handlerFor(shape: SluiceShape) {
  const sleep = shape.sleepMs;
  if (shape.json) {
    return async (_p: string, m: Message) => m.putData(JSON.stringify(m.data));
  }
  if (sleep > 0) {
    return async (_p: string, m: Message) => {
      await new Promise((resolve) => setTimeout(resolve, sleep));
      return m;
    };
  }
  if (shape.sync === true) return (_p: string, m: Message) => m;
  return async (_p: string, m: Message) => m;
}

export async function runSluice(n: number, shape: SluiceShape): Promise<RunObservation> {
  const latency = new Histogram();
  const checkpoints: { at: number; maxRssBytes: number }[] = [];
  const paced = shape.paced;
  const emitted = paced === undefined ? undefined : new Float64Array(n);
  let nextCheckpoint = 0;
  let acked = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const record =
    emitted === undefined
      ? (messages: Message[], now: number) => recordLatencies(latency, messages, now)
      : (messages: Message[], now: number) => {
          for (const m of messages) latency.record(now - (emitted[m.id as number] as number));
        };
  const acknowledger: Acknowledger = {
    ack(_ref, successful, failed) {
      const now = performance.now();
      record(successful, now);
      record(failed, now);
      acked += successful.length + failed.length;
      while (
        nextCheckpoint < shape.checkpoints.length &&
        acked >= (shape.checkpoints[nextCheckpoint] as number)
      ) {
        checkpoints.push({
          at: shape.checkpoints[nextCheckpoint] as number,
          maxRssBytes: maxRssBytes(),
        });
        nextCheckpoint++;
      }
      if (acked === n) done();
    },
  };
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
        ...(shape.partition && { partitionBy: (m: Message) => (m.data as Order).id % 2 }),
      },
    },
    ...(shape.batcher && {
      batchers: { default: { batchSize: BATCH_SIZE, batchTimeout: 1000, concurrency: 2 } },
    }),
    handleMessage: handlerFor(shape),
    handleBatch: async (_b, messages) => messages,
  });
  await pipeline.start();
  pacer?.begin();
  await finished;
  await pipeline.stop();
  return { latency, checkpoints };
}
