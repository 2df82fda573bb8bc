/**
 * The hand-written baselines: what a user would write instead of a
 * pipeline, doing exactly the same work and nothing more (7-field message
 * objects, the same payload, an ack per batch of 100, the clock read once
 * per batch for the latency histogram).
 *
 *   N1       two async workers awaiting an async no-op handler, acked per batch
 *   N1-json  N1 whose handler puts JSON.stringify(data) on the message
 *   N2       the same with object-mode Node streams and stream.pipeline
 *   N3       a synchronous loop (the upper bound)
 *   P100     E's baseline: a pool of 100 workers, each awaiting a 1 ms timer per message
 *   NG       G's baseline: a plain loop at G's pace, each message acked as it is handled
 */
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline as streamPipeline } from 'node:stream/promises';
import { Histogram } from '../histogram.ts';
import { recordLatencies, type RunObservation } from './sluice.ts';
import { BATCH_SIZE, NO_METADATA, order, pace, type PlainMessage } from './shape.ts';

const observation = (latency: Histogram): RunObservation => ({ latency, checkpoints: [] });

/*
 * Handlers and acks are written once, at module level, as a user's are
 * (and as the Sluice side's are, sluice.ts): a process runs the warm-up and
 * then the timed run, and a new closure per run would make the timed run
 * re-optimise code the warm-up already compiled. Runs in one process are
 * sequential, so the ack records into the current run's histogram.
 */
let current = new Histogram();
const ack = (batch: PlainMessage[]): void => recordLatencies(current, batch, performance.now());
/** Starts a run: a fresh histogram that `ack` records into. */
function begin(): Histogram {
  current = new Histogram();
  return current;
}
const noop = async (m: PlainMessage): Promise<PlainMessage> => m;
const syncNoop = (m: PlainMessage): PlainMessage => m;
const toJson = async (m: PlainMessage): Promise<PlainMessage> => {
  m.data = JSON.stringify(m.data);
  return m;
};
const sleepers = new Map<number, (m: PlainMessage) => Promise<PlainMessage>>();
function sleeper(ms: number): (m: PlainMessage) => Promise<PlainMessage> {
  let handle = sleepers.get(ms);
  if (handle === undefined) {
    handle = async (m) => {
      await new Promise((resolve) => setTimeout(resolve, ms));
      return m;
    };
    sleepers.set(ms, handle);
  }
  return handle;
}

/** N1 (and N1-json): an async pool of 2 workers, batches of 100, acked per batch. */
export async function runPool(n: number, json: boolean): Promise<RunObservation> {
  const latency = begin();
  let next = 0;
  let stamp = performance.now();
  const handleMessage = json ? toJson : noop;
  const worker = async (): Promise<void> => {
    let batch: PlainMessage[] = [];
    while (next < n) {
      const id = next++;
      if (id % BATCH_SIZE === 0) stamp = performance.now();
      batch.push(
        await handleMessage({
          id,
          data: order(id),
          metadata: NO_METADATA,
          ack,
          ackRef: undefined,
          status: 'ok',
          emittedAt: stamp,
        }),
      );
      if (batch.length === BATCH_SIZE) {
        ack(batch);
        batch = [];
      }
    }
    if (batch.length > 0) ack(batch);
  };
  await Promise.all([worker(), worker()]);
  return observation(latency);
}

/** P100: E's baseline, a pool of `workers` each awaiting a `sleepMs` timer per message. */
export async function runSleepPool(
  n: number,
  workers: number,
  sleepMs: number,
): Promise<RunObservation> {
  const latency = begin();
  let next = 0;
  let batch: PlainMessage[] = [];
  const handleMessage = sleeper(sleepMs);
  const worker = async (): Promise<void> => {
    while (next < n) {
      const id = next++;
      const m = await handleMessage({
        id,
        data: order(id),
        metadata: NO_METADATA,
        ack,
        ackRef: undefined,
        status: 'ok',
        emittedAt: performance.now(),
      });
      batch.push(m);
      if (batch.length === BATCH_SIZE) {
        ack(batch);
        batch = [];
      }
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
  if (batch.length > 0) ack(batch);
  return observation(latency);
}

/** NG: messages emitted at G's pace, each awaited and acked by a plain loop. */
export function runPacedLoop(n: number, rate: number): Promise<RunObservation> {
  const latency = begin();
  const handleMessage = noop;
  return new Promise((resolve) => {
    let acked = 0;
    const loop = async (from: number, count: number, now: number): Promise<void> => {
      for (let id = from; id < from + count; id++) {
        const m = await handleMessage({
          id,
          data: order(id),
          metadata: NO_METADATA,
          ack,
          ackRef: undefined,
          status: 'ok',
          emittedAt: now,
        });
        m.ack([m]);
      }
      acked += count;
      if (acked === n) resolve(observation(latency));
    };
    pace(n, rate, (from, count) => void loop(from, count, performance.now()));
  });
}

const plain = (id: number, emittedAt: number, ack: PlainMessage['ack']): PlainMessage => ({
  id,
  data: order(id),
  metadata: NO_METADATA,
  ack,
  ackRef: undefined,
  status: 'ok',
  emittedAt,
});

/** N2: the same work with object-mode Node streams and stream.pipeline. */
export async function runStreams(n: number): Promise<RunObservation> {
  const latency = begin();
  let stamp = performance.now();
  function* source(): Generator<PlainMessage> {
    for (let id = 0; id < n; id++) {
      if (id % BATCH_SIZE === 0) stamp = performance.now();
      yield plain(id, stamp, ack);
    }
  }
  const handleMessage = noop;
  let batch: PlainMessage[] = [];
  await streamPipeline(
    Readable.from(source()),
    new Transform({
      objectMode: true,
      transform(m: PlainMessage, _encoding, callback) {
        handleMessage(m).then((out) => callback(null, out), callback);
      },
    }),
    new Transform({
      objectMode: true,
      transform(m: PlainMessage, _encoding, callback) {
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
      write(full: PlainMessage[], _encoding, callback) {
        ack(full);
        callback();
      },
    }),
  );
  return observation(latency);
}

/** N3: a synchronous loop: build, handle, batch, ack. */
export function runLoop(n: number): RunObservation {
  const latency = begin();
  const handleMessage = syncNoop;
  let batch: PlainMessage[] = [];
  let stamp = performance.now();
  for (let id = 0; id < n; id++) {
    if (id % BATCH_SIZE === 0) stamp = performance.now();
    batch.push(handleMessage(plain(id, stamp, ack)));
    if (batch.length === BATCH_SIZE) {
      ack(batch);
      batch = [];
    }
  }
  if (batch.length > 0) ack(batch);
  return observation(latency);
}
