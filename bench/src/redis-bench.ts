/**
 * `npm run bench:redis`: the Redis Streams producer against a hand-written
 * consumer loop on the same client (node-redis), on the local Redis
 * (REDIS_URL), in the same run, each run in a fresh process.
 *
 * Scenarios (each: one warm-up run, then RUNS counted runs; the median is shown):
 * - noop:  a handler that does nothing. The loop is the fastest one we could
 *          write: XREADGROUP COUNT 100, handle each entry, XACK the batch
 *          without waiting for the reply (node-redis pipelines it with the
 *          next read), all acks awaited at the end. Sluice reads COUNT 100
 *          into 2 processors. Target: Sluice ≥ 0.9× the loop.
 * - sleep: a handler that awaits 10 ms. The loop, as usually written, reads
 *          COUNT 10 and handles the batch with Promise.all before XACKing it
 *          (10 at once); Sluice runs 100 processors (default maxDemand,
 *          10 each). Target: Sluice ≥ 5×.
 *
 * Every run adds its entries to a fresh stream and creates the group first
 * (not timed), then times from the start of consuming (connecting included)
 * to the last XACK answered; the parent then checks that nothing is pending.
 *
 *   BENCH_NOOP_N   entries per noop run (default 20,000)
 *   BENCH_SLEEP_N  entries per sleep run (default 3,000)
 *   BENCH_RUNS     counted runs per case (default 3)
 *   --smoke        tiny N, one run each, no judging
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { fileURLToPath } from 'node:url';
import { createClient } from 'redis';
import { createPipeline, redactUrl, silentLogger } from '@sluice/core';
import { redisChannels, redisProducer } from '@sluice/producers/redis';
import { createTestStream, redisUrlFromEnv } from '@sluice/producers/redis/testing';
import { childRun, freshRuns, type BenchCase } from './fresh-runs.ts';

const smoke = process.argv.includes('--smoke');
const URL_ = redisUrlFromEnv();
const NOOP_N = smoke ? 500 : Number(process.env['BENCH_NOOP_N'] ?? 20_000);
const SLEEP_N = smoke ? 200 : Number(process.env['BENCH_SLEEP_N'] ?? 3_000);
const RUNS = smoke ? 1 : Number(process.env['BENCH_RUNS'] ?? 3);

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const groupOf = (stream: string) => `${stream}-group`;

type Raw = [string, [string, string[]][]][] | Record<string, [string, string[]][]> | null;

/** The entries of an XREADGROUP reply, as node-redis gives it (array or object). */
function entriesOf(reply: Raw): [string, string[]][] {
  if (reply === null) return [];
  return Array.isArray(reply) ? reply.flatMap(([, e]) => e) : Object.values(reply).flat();
}

/** The hand-written loop: read `count`, handle (all at once), XACK; until `n` are acked. */
async function loop(
  stream: string,
  n: number,
  count: number,
  work: (fields: string[]) => Promise<void> | void,
  awaitAck: boolean,
): Promise<number> {
  const start = performance.now();
  const client = createClient({ url: URL_ });
  await client.connect();
  const group = groupOf(stream);
  const acks: Promise<unknown>[] = [];
  let read = 0;
  while (read < n) {
    const reply = await client.sendCommand<Raw>([
      ...['XREADGROUP', 'GROUP', group, 'bench', 'COUNT', String(count), 'BLOCK', '1000'],
      ...['STREAMS', stream, '>'],
    ]);
    const entries = entriesOf(reply);
    if (entries.length === 0) continue;
    const results = entries.map(([, fields]) => work(fields));
    const pending = results.filter((r): r is Promise<void> => r instanceof Promise);
    if (pending.length > 0) await Promise.all(pending);
    read += entries.length;
    const ack = client.sendCommand(['XACK', stream, group, ...entries.map(([id]) => id)]);
    if (awaitAck) await ack;
    else acks.push(ack);
  }
  await Promise.all(acks);
  const elapsed = performance.now() - start;
  client.destroy();
  return elapsed;
}

/** The same work in a Sluice pipeline; done when every entry's XACK has been answered. */
async function sluice(
  stream: string,
  n: number,
  count: number,
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
  subscribe(redisChannels.ack, onAck);
  const start = performance.now();
  const pipeline = createPipeline({
    name: 'bench',
    producer: { module: redisProducer({ url: URL_, stream, group: groupOf(stream), count }) },
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
  unsubscribe(redisChannels.ack, onAck);
  await pipeline.stop();
  return elapsed;
}

const CASES: BenchCase[] = [
  {
    name: 'noop, node-redis loop, COUNT 100, pipelined XACK',
    n: NOOP_N,
    run: (s) => loop(s, NOOP_N, 100, () => undefined, false),
  },
  {
    name: 'noop, Sluice, count 100, 2 processors',
    n: NOOP_N,
    run: (s) => sluice(s, NOOP_N, 100, { concurrency: 2 }, () => undefined),
  },
  {
    name: 'sleep 10 ms, node-redis loop, COUNT 10, Promise.all',
    n: SLEEP_N,
    run: (s) => loop(s, SLEEP_N, 10, () => sleep(10), true),
  },
  {
    name: 'sleep 10 ms, Sluice, count 100, 100 processors',
    n: SLEEP_N,
    run: (s) => sluice(s, SLEEP_N, 100, { concurrency: 100 }, () => sleep(10)),
  },
];

async function main(): Promise<void> {
  const admin = createClient({ url: URL_ });
  await admin.connect();
  await freshRuns(fileURLToPath(import.meta.url), {
    title: `Redis at ${redactUrl(URL_)}`,
    cases: CASES,
    ratios: [
      { label: 'noop:  Sluice / node-redis loop', sluice: 1, baseline: 0, target: 0.9 },
      { label: 'sleep: Sluice / node-redis loop', sluice: 3, baseline: 2, target: 5 },
    ],
    runs: RUNS,
    smoke,
    async prepare(n) {
      const s = await createTestStream({ url: URL_ });
      await s.add(Array.from({ length: n }, (_, i) => ({ id: String(i), amount: '42' })));
      await admin.sendCommand(['XGROUP', 'CREATE', s.stream, s.group, '0']);
      await s.admin.close();
      return s.stream;
    },
    async finish(stream) {
      const summary = await admin.sendCommand<unknown[]>(['XPENDING', stream, groupOf(stream)]);
      const pending = Number(summary[0]);
      await admin.sendCommand(['DEL', stream]);
      if (pending !== 0) throw new Error(`${pending} entries of ${stream} left pending`);
    },
    close: async () => admin.destroy(),
  });
}

if (!(await childRun(CASES))) await main();
