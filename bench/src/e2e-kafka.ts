/**
 * `npm run bench:e2e` (Kafka part): end to end on the local Kafka
 * (KAFKA_BROKERS, else 127.0.0.1:9092): consume a topic from the
 * beginning, transform each record (parse, add a field, encode), publish
 * it to a second topic with an idempotent producer (acks all). Sluice (the
 * Kafka producer on kafkajs, batches of up to 5,000 on 3 batch processors, the Kafka sink) against a
 * hand-written kafkajs loop (`eachBatch`, one `send` per fetched batch on
 * an idempotent producer, offsets committed after the send), in the same
 * run, each run in a fresh process, timed from connecting to the last
 * record confirmed. Target: Sluice ≥ 1.0×.
 *
 *   BENCH_E2E_KAFKA_N  records per run (default 20,000), 3 partitions
 *   BENCH_RUNS         counted runs per case (default 3)
 *   --smoke            tiny N, one run each, no judging
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { createPipeline, silentLogger, type Message } from '@sluice/core';
import { kafkaProducer } from '@sluice/producers/kafka';
import { writeBatch } from '@sluice/sinks';
import { kafkaSink } from '@sluice/sinks/kafka';
import { childRun, freshRuns, type BenchCase } from './fresh-runs.ts';

const smoke = process.argv.includes('--smoke');
const brokers = (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',');
const N = smoke ? 2_000 : Number(process.env['BENCH_E2E_KAFKA_N'] ?? 20_000);
const RUNS = smoke ? 1 : Number(process.env['BENCH_RUNS'] ?? 3);
const PARTITIONS = 3;

const kafka = () => new Kafka({ brokers, clientId: 'bench-e2e', logLevel: logLevel.NOTHING });

/** The work on each record: parse, enrich, encode. */
const transform = (value: Buffer | null): Buffer => {
  const order = JSON.parse(String(value)) as Record<string, unknown>;
  return Buffer.from(JSON.stringify({ ...order, enriched: true }));
};

/** The hand-written loop: a send per fetched batch, then its offsets are committed. */
async function handWritten(from: string, to: string): Promise<number> {
  const start = performance.now();
  const k = kafka();
  const producer = k.producer({ idempotent: true, maxInFlightRequests: 1 });
  const consumer = k.consumer({ groupId: `bench-e2e-${randomUUID()}`, maxWaitTimeInMs: 100 });
  await Promise.all([producer.connect(), consumer.connect()]);
  await consumer.subscribe({ topics: [from], fromBeginning: true });
  let sent = 0;
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch }) => {
        await producer.send({
          topic: to,
          acks: -1,
          messages: batch.messages.map((m) => ({ key: m.key, value: transform(m.value) })),
        });
        sent += batch.messages.length;
        if (sent >= N) resolve();
      },
    });
  });
  const elapsed = performance.now() - start;
  await consumer.disconnect();
  await producer.disconnect();
  return elapsed;
}

/** The same in a Sluice pipeline, through the Kafka sink. */
async function sluice(from: string, to: string): Promise<number> {
  const start = performance.now();
  let written = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const sink = kafkaSink({ brokers, topic: to, client: 'kafkajs' });
  const pipeline = createPipeline({
    name: 'e2e',
    producer: {
      module: kafkaProducer({
        brokers,
        groupId: `bench-e2e-${randomUUID()}`,
        topics: [from],
        fromBeginning: true,
        fetch: { maxWaitTimeInMs: 100 },
      }),
    },
    processors: { default: { concurrency: PARTITIONS } },
    batchers: { out: { batchSize: 5000, batchTimeout: 50, concurrency: 3 } },
    logger: silentLogger,
    handleMessage: (_p, m) => m.putData(transform(m.data as Buffer)).putBatcher('out'),
    handleBatch: async (_b, messages: Message[]) => {
      const out = await writeBatch(sink, messages);
      written += out.filter((m) => m.status.kind === 'ok').length;
      if (written >= N) resolveDone();
      return out;
    },
  });
  await pipeline.start();
  await done;
  const elapsed = performance.now() - start;
  await pipeline.stop();
  await sink.close();
  return elapsed;
}

const split = (target: string): [string, string] => target.split(',') as [string, string];

const CASES: BenchCase[] = [
  {
    name: 'kafkajs eachBatch → idempotent send per batch',
    n: N,
    run: (t) => handWritten(...split(t)),
  },
  {
    name: 'Sluice kafka → kafka sink (kafkajs), batches of 5,000',
    n: N,
    run: (t) => sluice(...split(t)),
  },
];

if (!(await childRun(CASES))) {
  const admin = kafka().admin();
  await admin.connect();
  await freshRuns(fileURLToPath(import.meta.url), {
    title: `Kafka at ${brokers.join(',')}: consume, transform, publish to a second topic`,
    cases: CASES,
    ratios: [{ label: 'Sluice / kafkajs', sluice: 1, baseline: 0, target: 1.0 }],
    runs: RUNS,
    smoke,
    prepare: async (n) => {
      const id = randomUUID().slice(0, 12);
      const [from, to] = [`sluice-bench-e2e-${id}-in`, `sluice-bench-e2e-${id}-out`];
      await admin.createTopics({
        waitForLeaders: true,
        topics: [from, to].map((topic) => ({ topic, numPartitions: PARTITIONS })),
      });
      const value = JSON.stringify({ id: 0, amount: 42, note: 'bench' });
      // A fresh producer per topic: its first metadata request sees the new topic.
      const publisher = kafka().producer();
      await publisher.connect();
      for (let i = 0; i < n; i += 10_000) {
        const count = Math.min(10_000, n - i);
        await publisher.send({
          topic: from,
          acks: -1,
          messages: Array.from({ length: count }, (_, j) => ({ key: `k${(i + j) % 1000}`, value })),
        });
      }
      await publisher.disconnect();
      return `${from},${to}`;
    },
    finish: async (target) => {
      const [from, to] = split(target);
      try {
        const offsets = await admin.fetchTopicOffsets(to);
        const out = offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
        if (out < N) throw new Error(`after a run: ${out} of ${N} records on ${to}`);
      } finally {
        await admin.deleteTopics({ topics: [from, to] });
      }
    },
    close: () => admin.disconnect(),
  });
}
