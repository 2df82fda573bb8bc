/**
 * The benchmark scenarios. Each `run` moves `n` messages end to end and
 * resolves once the last one is acked, recording each message's latency
 * from emission to ack.
 *
 * Sluice:
 *   A  producer (1) → processors (2, default demand) → ack; no-op async handleMessage
 *   B  A + one batcher (batchSize 100, batchTimeout 1000, concurrency 2), no-op handleBatch
 *   C  B with partitionBy n % 2 on the processors
 *   D  A with JSON.stringify of the 4-key payload in handleMessage
 *   E  handleMessage awaits a 1 ms timer, processor concurrency 10 / 100 / 1000
 *   F  B over 10M messages, with peak RSS at 1M, 5M and 10M
 * Baselines, written as a user would by hand:
 *   N1       an async pool of 2 feeding arrays of 100 to an async batch handler
 *   N2       the same with Node streams and stream.pipeline
 *   N3       a synchronous loop (the upper bound)
 *   N1-json  N1 with D's JSON.stringify
 */
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline as streamPipeline } from 'node:stream/promises';
import { createPipeline, Message, type Acknowledger, type ProducerModule } from '@sluice/core';
import { Histogram } from '../histogram.ts';
import { BATCH_SIZE, order, type Order } from './shape.ts';

export const SCENARIOS = [
  'A',
  'B',
  'C',
  'D',
  'E10',
  'E100',
  'E1000',
  'F',
  'N1',
  'N2',
  'N3',
  'N1-json',
] as const;
export type Scenario = (typeof SCENARIOS)[number];

/** What one run observed. */
export interface RunObservation {
  readonly latency: Histogram;
  /** Peak RSS (bytes) after 1M, 5M and 10M messages, for F. */
  readonly checkpoints: { readonly at: number; readonly maxRssBytes: number }[];
}

/** Records latencies of acked messages, one histogram entry per run of equal emission times. */
function recordLatencies(
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

interface SluiceShape {
  readonly batcher: boolean;
  readonly partition: boolean;
  readonly json: boolean;
  readonly sleepMs: number;
  readonly concurrency: number;
  readonly checkpoints: readonly number[];
}

async function runSluice(n: number, shape: SluiceShape): Promise<RunObservation> {
  const latency = new Histogram();
  const checkpoints: { at: number; maxRssBytes: number }[] = [];
  let nextCheckpoint = 0;
  let acked = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const acknowledger: Acknowledger = {
    ack(_ref, successful, failed) {
      const now = performance.now();
      recordLatencies(latency, successful, now);
      recordLatencies(latency, failed, now);
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
  const sleep = shape.sleepMs;
  const pipeline = createPipeline({
    name: 'bench',
    producer: { module: benchProducer(n, acknowledger) },
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
    handleMessage: shape.json
      ? async (_p, m) => {
          JSON.stringify(m.data);
          return m;
        }
      : sleep > 0
        ? async (_p, m) => {
            await new Promise((resolve) => setTimeout(resolve, sleep));
            return m;
          }
        : async (_p, m) => m,
    handleBatch: async (_b, messages) => messages,
  });
  await pipeline.start();
  await finished;
  await pipeline.stop();
  return { latency, checkpoints };
}

// ------------------------------------------------------------------ baselines

interface Plain {
  readonly data: Order;
  readonly emittedAt: number;
}

/** N1 (and N1-json): an async pool of 2 workers, batches of 100, an async batch handler. */
async function runPool(n: number, json: boolean): Promise<RunObservation> {
  const latency = new Histogram();
  let next = 0;
  let stamp = performance.now();
  const handleMessage = json
    ? async (m: Plain): Promise<Plain> => {
        JSON.stringify(m.data);
        return m;
      }
    : async (m: Plain): Promise<Plain> => m;
  const handleBatch = async (batch: Plain[]): Promise<Plain[]> => batch;
  const ack = (batch: Plain[]): void => recordLatencies(latency, batch, performance.now());
  const worker = async (): Promise<void> => {
    let batch: Plain[] = [];
    while (next < n) {
      const id = next++;
      if (id % BATCH_SIZE === 0) stamp = performance.now();
      batch.push(await handleMessage({ data: order(id), emittedAt: stamp }));
      if (batch.length === BATCH_SIZE) {
        ack(await handleBatch(batch));
        batch = [];
      }
    }
    if (batch.length > 0) ack(await handleBatch(batch));
  };
  await Promise.all([worker(), worker()]);
  return { latency, checkpoints: [] };
}

/** N2: the same work with object-mode Node streams and stream.pipeline. */
async function runStreams(n: number): Promise<RunObservation> {
  const latency = new Histogram();
  let stamp = performance.now();
  function* source(): Generator<Plain> {
    for (let id = 0; id < n; id++) {
      if (id % BATCH_SIZE === 0) stamp = performance.now();
      yield { data: order(id), emittedAt: stamp };
    }
  }
  const handleMessage = async (m: Plain): Promise<Plain> => m;
  const handleBatch = async (batch: Plain[]): Promise<Plain[]> => batch;
  let batch: Plain[] = [];
  await streamPipeline(
    Readable.from(source()),
    new Transform({
      objectMode: true,
      transform(m: Plain, _encoding, callback) {
        handleMessage(m).then((out) => callback(null, out), callback);
      },
    }),
    new Transform({
      objectMode: true,
      transform(m: Plain, _encoding, callback) {
        batch.push(m);
        if (batch.length === BATCH_SIZE) {
          const full = batch;
          batch = [];
          callback(null, full);
        } else {
          callback();
        }
      },
      flush(callback) {
        callback(null, batch.length > 0 ? batch : undefined);
      },
    }),
    new Writable({
      objectMode: true,
      write(full: Plain[], _encoding, callback) {
        handleBatch(full).then((acked) => {
          recordLatencies(latency, acked, performance.now());
          callback();
        }, callback);
      },
    }),
  );
  return { latency, checkpoints: [] };
}

/** N3: a synchronous loop: build, handle, batch, handle the batch, ack. */
function runLoop(n: number): RunObservation {
  const latency = new Histogram();
  const handleMessage = (m: Plain): Plain => m;
  const handleBatch = (batch: Plain[]): Plain[] => batch;
  let batch: Plain[] = [];
  let stamp = performance.now();
  for (let id = 0; id < n; id++) {
    if (id % BATCH_SIZE === 0) stamp = performance.now();
    batch.push(handleMessage({ data: order(id), emittedAt: stamp }));
    if (batch.length === BATCH_SIZE) {
      recordLatencies(latency, handleBatch(batch), performance.now());
      batch = [];
    }
  }
  if (batch.length > 0) recordLatencies(latency, handleBatch(batch), performance.now());
  return { latency, checkpoints: [] };
}

const sluice = (over: Partial<SluiceShape>): SluiceShape => ({
  batcher: false,
  partition: false,
  json: false,
  sleepMs: 0,
  concurrency: 2,
  checkpoints: [],
  ...over,
});

/** Runs one scenario once over `n` messages. */
export function run(scenario: Scenario, n: number): Promise<RunObservation> {
  switch (scenario) {
    case 'A':
      return runSluice(n, sluice({}));
    case 'B':
      return runSluice(n, sluice({ batcher: true }));
    case 'C':
      return runSluice(n, sluice({ batcher: true, partition: true }));
    case 'D':
      return runSluice(n, sluice({ json: true }));
    case 'E10':
      return runSluice(n, sluice({ sleepMs: 1, concurrency: 10 }));
    case 'E100':
      return runSluice(n, sluice({ sleepMs: 1, concurrency: 100 }));
    case 'E1000':
      return runSluice(n, sluice({ sleepMs: 1, concurrency: 1000 }));
    case 'F':
      return runSluice(
        n,
        sluice({ batcher: true, checkpoints: [1e6, 5e6, 1e7].filter((c) => c <= n) }),
      );
    case 'N1':
      return runPool(n, false);
    case 'N1-json':
      return runPool(n, true);
    case 'N2':
      return runStreams(n);
    case 'N3':
      return Promise.resolve(runLoop(n));
  }
}
