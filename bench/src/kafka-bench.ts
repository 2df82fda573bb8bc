/**
 * `npm run bench:kafka`: the Kafka producer against hand-written kafkajs
 * consumers, on the local Kafka (KAFKA_BROKERS, else 127.0.0.1:9092), in the
 * same run. Topics are produced before timing starts; each consumer reads
 * with a fresh group from the beginning, and the clock runs from its first
 * message to its last, so joining the group is not counted.
 *
 * A. no-op handler, 6 partitions: Sluice (ordering 'partition') against a
 *    kafkajs `eachBatch` consumer. Target: at least 0.9×.
 * B. a handler that awaits 5 ms, 3 partitions, 1,000 keys: Sluice (ordering
 *    'key', 100 processors) against kafkajs `eachMessage` with
 *    `partitionsConsumedConcurrently: 3`. Target: at least 10×.
 *
 * Each side runs ROUNDS times, alternating which goes first (the machine is
 * shared and noisy), each time with a fresh group; the table shows medians.
 *
 *   BENCH_KAFKA_N       messages for A (default 200,000); B uses N / 40 (at least 300)
 *   BENCH_KAFKA_ROUNDS  runs per side (default 3)
 *   --smoke             tiny counts, one round, no judging
 */
import { createPipeline, silentLogger } from '@sluice/core';
import { KafkaJsClient, kafkaProducer } from '@sluice/producers/kafka';
import { Kafka, logLevel } from 'kafkajs';
import { formatRate, median, table } from './stats.ts';

const smoke = process.argv.includes('--smoke');
const N = smoke ? 2_000 : Number(process.env['BENCH_KAFKA_N'] ?? 200_000);
const NB = Math.max(300, Math.floor(N / 40));
const ROUNDS = smoke ? 1 : Number(process.env['BENCH_KAFKA_ROUNDS'] ?? 3);
let groupSeq = 0;
const brokers = (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',');
const client = new KafkaJsClient({ brokers });
const kafka = new Kafka({ brokers, clientId: 'bench', logLevel: logLevel.NOTHING });
const run = `${Date.now().toString(36)}`;

async function makeTopic(name: string, partitions: number, count: number): Promise<void> {
  const admin = await client.admin();
  try {
    await admin.createTopics([{ topic: name, numPartitions: partitions }]);
  } finally {
    await admin.close();
  }
  const publisher = await client.publisher();
  try {
    const value = 'x'.repeat(100);
    for (let i = 0; i < count; i += 10_000) {
      const n = Math.min(10_000, count - i);
      await publisher.send(
        name,
        Array.from({ length: n }, (_, j) => ({ key: `key-${(i + j) % 1000}`, value })),
      );
    }
  } finally {
    await publisher.close();
  }
}

async function dropTopics(names: string[]): Promise<void> {
  const admin = await client.admin();
  try {
    await admin.deleteTopics(names);
  } finally {
    await admin.close();
  }
}

/** Times `count` messages from the first to the last; returns msgs/s. */
function clock(count: number) {
  let first = 0;
  let seen = 0;
  let done!: (rate: number) => void;
  const finished = new Promise<number>((r) => (done = r));
  return {
    finished,
    tick(n = 1): void {
      if (seen === 0) first = performance.now();
      seen += n;
      if (seen === count) done((count - 1) / ((performance.now() - first) / 1000));
    },
  };
}

async function kafkajsEachBatch(topic: string, count: number): Promise<number> {
  const consumer = kafka.consumer({
    groupId: `bench-kjs-${topic}-${groupSeq++}`,
    maxWaitTimeInMs: 100,
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  const c = clock(count);
  await consumer.run({
    autoCommit: true,
    eachBatch: ({ batch }) => {
      for (const m of batch.messages) {
        void m;
        c.tick();
      }
      return Promise.resolve();
    },
  });
  const rate = await c.finished;
  await consumer.disconnect();
  return rate;
}

async function kafkajsEachMessage(topic: string, count: number): Promise<number> {
  const consumer = kafka.consumer({
    groupId: `bench-kjs-${topic}-${groupSeq++}`,
    maxWaitTimeInMs: 100,
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  const c = clock(count);
  await consumer.run({
    partitionsConsumedConcurrently: 3,
    eachMessage: async () => {
      await new Promise((r) => setTimeout(r, 5));
      c.tick();
    },
  });
  const rate = await c.finished;
  await consumer.disconnect();
  return rate;
}

async function sluice(
  topic: string,
  count: number,
  ordering: 'partition' | 'key',
  concurrency: number,
  delayMs: number,
): Promise<number> {
  const c = clock(count);
  const pipeline = createPipeline({
    name: `bench-${ordering}`,
    logger: silentLogger,
    producer: {
      module: kafkaProducer({
        brokers,
        groupId: `bench-sluice-${topic}-${groupSeq++}`,
        topics: [topic],
        fromBeginning: true,
        ordering,
        fetch: { maxWaitTimeInMs: 100 },
        ...(process.env['BENCH_KAFKA_BUFFER'] !== undefined && {
          maxBufferedPerPartition: Number(process.env['BENCH_KAFKA_BUFFER']),
        }),
      }),
    },
    processors: { default: { concurrency } },
    async handleMessage(_p, m) {
      if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
      c.tick();
      return m;
    },
  });
  await pipeline.start();
  const rate = await c.finished;
  await pipeline.stop();
  return rate;
}

async function main(): Promise<void> {
  const a = `sluice-bench-a-${run}`;
  const b = `sluice-bench-b-${run}`;
  console.log(`producing ${N} messages (A, 6 partitions) and ${NB} (B, 3 partitions)…`);
  await makeTopic(a, 6, N);
  await makeTopic(b, 3, NB);
  try {
    const samples = {
      aK: [] as number[],
      aS: [] as number[],
      bK: [] as number[],
      bS: [] as number[],
    };
    for (let r = 0; r < ROUNDS; r++) {
      const kafkajsA = () => kafkajsEachBatch(a, N).then((x) => samples.aK.push(x));
      const sluiceA = () => sluice(a, N, 'partition', 6, 0).then((x) => samples.aS.push(x));
      const kafkajsB = () => kafkajsEachMessage(b, NB).then((x) => samples.bK.push(x));
      const sluiceB = () => sluice(b, NB, 'key', 100, 5).then((x) => samples.bS.push(x));
      for (const step of r % 2 === 0 ? [kafkajsA, sluiceA] : [sluiceA, kafkajsA]) await step();
      // B's kafkajs side is slow (N/40 × 5 ms / 3): once is enough
      if (r === 0) await kafkajsB();
      await sluiceB();
    }
    const aKafkajs = median(samples.aK);
    const aSluice = median(samples.aS);
    const bKafkajs = median(samples.bK);
    const bSluice = median(samples.bS);
    const rows = [
      ['A no-op, kafkajs eachBatch', formatRate(aKafkajs), ''],
      ['A no-op, Sluice (partition)', formatRate(aSluice), `${(aSluice / aKafkajs).toFixed(2)}×`],
      ['B 5 ms, kafkajs eachMessage ×3', formatRate(bKafkajs), ''],
      ['B 5 ms, Sluice (key, 100)', formatRate(bSluice), `${(bSluice / bKafkajs).toFixed(1)}×`],
    ];
    console.log(table(['scenario', 'msgs/s', 'ratio'], rows));
    if (!smoke) {
      console.log(
        `A: ${(aSluice / aKafkajs).toFixed(2)}× (target ≥ 0.9×), B: ${(bSluice / bKafkajs).toFixed(1)}× (target ≥ 10×)`,
      );
    }
  } finally {
    await dropTopics([a, b]);
  }
}

await main();
