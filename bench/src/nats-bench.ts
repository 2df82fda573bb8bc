/**
 * `npm run bench:nats`: the NATS JetStream producer against a hand-written
 * consumer on the same client (@nats-io/jetstream), on the local NATS
 * (NATS_URL), in the same run, each run in a fresh process.
 *
 * Scenarios (each: one warm-up run, then RUNS counted runs; the median is shown):
 * - noop:  a handler that does nothing. The loop is the client's own fast
 *          path: `consumer.consume({ max_messages: 256 })`, handle, `ack()`
 *          each, one flush at the end. Sluice pulls 256 at a time into 2
 *          processors. Target: Sluice ≥ 0.9× the loop.
 * - sleep: a handler that awaits 10 ms. The loop, as usually written, handles
 *          up to 10 messages at once off `consume()` (ack each when done);
 *          Sluice runs 100 processors (default maxDemand, 10 each).
 *          Target: Sluice ≥ 5×.
 *
 * Every run publishes its messages to a fresh stream with a durable pull
 * consumer first (not timed), then times from the start of consuming
 * (connecting included) to the last ack flushed; the parent then checks that
 * the consumer has nothing pending or un-acked.
 *
 *   BENCH_NOOP_N   messages per noop run (default 20,000)
 *   BENCH_SLEEP_N  messages per sleep run (default 3,000)
 *   BENCH_RUNS     counted runs per case (default 3)
 *   --smoke        tiny N, one run each, no judging
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { fileURLToPath } from 'node:url';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { createPipeline, redactUrl, silentLogger } from '@sluice/core';
import { natsChannels, natsProducer, NatsJsAdmin } from '@sluice/producers/nats';
import {
  createTestStream,
  natsUrlFromEnv,
  type NatsTestStream,
} from '@sluice/producers/nats/testing';
import { childRun, freshRuns, type BenchCase } from './fresh-runs.ts';

const smoke = process.argv.includes('--smoke');
const URL_ = natsUrlFromEnv();
const NOOP_N = smoke ? 500 : Number(process.env['BENCH_NOOP_N'] ?? 20_000);
const SLEEP_N = smoke ? 200 : Number(process.env['BENCH_SLEEP_N'] ?? 3_000);
const RUNS = smoke ? 1 : Number(process.env['BENCH_RUNS'] ?? 3);
/** createTestStream's durable consumer. */
const CONSUMER = 'sluice';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The hand-written consumer: `consume()`, up to `concurrency` handlers at once, ack each. */
async function loop(
  stream: string,
  n: number,
  concurrency: number,
  work: () => Promise<void> | void,
): Promise<number> {
  const start = performance.now();
  const nc = await connect({ servers: URL_ });
  const consumer = await jetstream(nc).consumers.get(stream, CONSUMER);
  const messages = await consumer.consume({ max_messages: 256 });
  let acked = 0;
  let running = 0;
  let slot: (() => void) | undefined;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  for await (const m of messages) {
    const result = work();
    if (!(result instanceof Promise)) {
      m.ack();
      if (++acked === n) break;
      continue;
    }
    running += 1;
    void result.then(() => {
      m.ack();
      running -= 1;
      slot?.();
      if (++acked === n) resolveDone();
    });
    if (running >= concurrency) await new Promise<void>((r) => (slot = r));
    if (acked + running >= n) break;
  }
  if (acked < n) await done;
  await nc.flush();
  const elapsed = performance.now() - start;
  await messages.close();
  await nc.close();
  return elapsed;
}

/** The same work in a Sluice pipeline; done when every message's ack has been flushed. */
async function sluice(
  stream: string,
  n: number,
  processors: { concurrency: number; maxDemand?: number },
  work: () => Promise<void> | void,
): Promise<number> {
  let acked = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const onAck = (payload: unknown): void => {
    acked += (payload as { count: number }).count;
    if (acked >= n) resolveDone();
  };
  subscribe(natsChannels.ack, onAck);
  const start = performance.now();
  const pipeline = createPipeline({
    name: 'bench',
    producer: {
      module: natsProducer({ servers: URL_, stream, consumer: CONSUMER, maxMessages: 256 }),
    },
    processors: { default: processors },
    logger: silentLogger,
    async handleMessage(_p, message) {
      await work();
      return message;
    },
  });
  await pipeline.start();
  await done;
  const elapsed = performance.now() - start;
  unsubscribe(natsChannels.ack, onAck);
  await pipeline.stop();
  return elapsed;
}

const CASES: BenchCase[] = [
  {
    name: 'noop, consume() loop, 256 per pull',
    n: NOOP_N,
    run: (s) => loop(s, NOOP_N, 1, () => undefined),
  },
  {
    name: 'noop, Sluice, maxMessages 256, 2 processors',
    n: NOOP_N,
    run: (s) => sluice(s, NOOP_N, { concurrency: 2 }, () => undefined),
  },
  {
    name: 'sleep 10 ms, consume() loop, 10 at once',
    n: SLEEP_N,
    run: (s) => loop(s, SLEEP_N, 10, () => sleep(10)),
  },
  {
    name: 'sleep 10 ms, Sluice, 100 processors',
    n: SLEEP_N,
    run: (s) => sluice(s, SLEEP_N, { concurrency: 100 }, () => sleep(10)),
  },
];

async function main(): Promise<void> {
  const admin = await NatsJsAdmin.connect([URL_]);
  const streams = new Map<string, NatsTestStream>();
  await freshRuns(fileURLToPath(import.meta.url), {
    title: `NATS at ${redactUrl(URL_)}`,
    cases: CASES,
    ratios: [
      { label: 'noop:  Sluice / consume() loop', sluice: 1, baseline: 0, target: 0.9 },
      { label: 'sleep: Sluice / consume() loop', sluice: 3, baseline: 2, target: 5 },
    ],
    runs: RUNS,
    smoke,
    async prepare(n) {
      const s = await createTestStream({ admin, namePrefix: 'sluice-bench-' });
      await s.publish(n, { body: (i) => JSON.stringify({ id: i, amount: 42 }) });
      streams.set(s.stream, s);
      return s.stream;
    },
    async finish(stream) {
      const s = streams.get(stream) as NatsTestStream;
      const counts = await s.counts();
      await s.delete();
      if (counts.pending !== 0 || counts.ackPending !== 0) {
        throw new Error(`${stream} left ${JSON.stringify(counts)}`);
      }
    },
    close: () => admin.close(),
  });
}

if (!(await childRun(CASES))) await main();
