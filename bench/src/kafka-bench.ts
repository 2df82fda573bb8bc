/**
 * `npm run bench:kafka`: the Kafka producer on each client library against
 * the best hand-written consumer loop on each, and Kafka's own Java
 * consumer, on the local Kafka (KAFKA_BROKERS, else 127.0.0.1:9092), in one
 * run. Topics are produced before timing starts; every measurement is a
 * fresh process (bench/src/kafka-bench-run.ts) with a fresh group reading
 * from the beginning, its clock running from its first message to its last
 * (joining is not counted). Sides alternate order from round to round; the
 * table shows medians.
 *
 * A. no-op handler, 6 partitions, values of 64–1,024 B: the Java consumer
 *    (ConsumerPerformance, its fetch-only rate), kafkajs `eachBatch`, a
 *    @platformatic/kafka stream, Sluice (ordering 'partition') on each
 *    adapter. Goal: Sluice on its default adapter ≥ 1.0× the best Node loop
 *    and ≥ 0.7× Java.
 * B. a handler that awaits 5 ms, 6 partitions, 1,000 keys: kafkajs
 *    `eachMessage` (partitionsConsumedConcurrently 6) against Sluice
 *    (ordering 'key', 100 processors) on each adapter, with the average
 *    number of busy handlers. Goal: ≥ 10×.
 *
 *   BENCH_KAFKA_N       messages for A (default 200,000); B uses N / 40 (at least 300)
 *   BENCH_KAFKA_ROUNDS  runs per side (default 3)
 *   BENCH_KAFKA_SIDES   only these sides, comma-separated (e.g.
 *                       `sluice-kafkajs,sluice-platformatic`; `java` for the Java consumer)
 *   --smoke             tiny counts, one round, no Java, no judging
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { KafkaJsClient } from '@sluice/producers/kafka';
import { formatRate, median, table } from './stats.ts';

const exec = promisify(execFile);
const smoke = process.argv.includes('--smoke');
const N = smoke ? 2_000 : Number(process.env['BENCH_KAFKA_N'] ?? 200_000);
const NB = Math.max(300, Math.floor(N / 40));
const ROUNDS = smoke ? 1 : Number(process.env['BENCH_KAFKA_ROUNDS'] ?? 3);
const only = process.env['BENCH_KAFKA_SIDES']?.split(',').map((s) => s.trim());
const wanted = (side: string) => only === undefined || only.includes(side);
const brokers = (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',');
const client = new KafkaJsClient({ brokers });
const runner = fileURLToPath(new URL('./kafka-bench-run.js', import.meta.url));
const root = fileURLToPath(new URL('../../', import.meta.url));
const run = Date.now().toString(36);

async function makeTopic(name: string, partitions: number, count: number): Promise<void> {
  const admin = await client.admin();
  try {
    await admin.createTopics([{ topic: name, numPartitions: partitions }]);
  } finally {
    await admin.close();
  }
  const publisher = await client.publisher();
  try {
    for (let i = 0; i < count; i += 10_000) {
      const n = Math.min(10_000, count - i);
      await publisher.send(
        name,
        Array.from({ length: n }, (_, j) => ({
          key: `key-${(i + j) % 1000}`,
          // 64–1,024 B, spread evenly
          value: 'x'.repeat(64 + (((i + j) * 7919) % 961)),
        })),
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

interface Sample {
  readonly rate: number;
  readonly busy?: number;
  readonly cpuUsPerMsg?: number;
}

/** One side in a fresh Node process. */
async function node(side: string, topic: string, count: number): Promise<Sample> {
  const { stdout } = await exec(process.execPath, [runner, side, topic, String(count)], {
    env: { ...process.env, KAFKA_BROKERS: brokers.join(',') },
    maxBuffer: 1 << 20,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Sample;
}

/** Kafka's Java consumer (ConsumerPerformance), its fetch-only rate; undefined without the jars. */
async function java(topic: string, count: number): Promise<Sample | undefined> {
  try {
    const { stdout } = await exec(
      'bash',
      [
        'scripts/brokers.sh',
        'kafka-cli',
        'org.apache.kafka.tools.ConsumerPerformance',
        '--bootstrap-server',
        brokers[0] ?? '127.0.0.1:9092',
        '--topic',
        topic,
        '--messages',
        String(count),
        '--group',
        `bench-java-${topic}-${Date.now().toString(36)}`,
        '--timeout',
        '60000',
      ],
      { cwd: root, maxBuffer: 1 << 20 },
    );
    // header: start.time, end.time, MB, MB.sec, nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
    const line = stdout.trim().split('\n').at(-1) ?? '';
    const rate = Number(line.split(',').at(-1));
    return Number.isFinite(rate) && rate > 0 ? { rate } : undefined;
  } catch (error) {
    console.log(`(no Java consumer: ${(error as Error).message.split('\n')[0]})`);
    return undefined;
  }
}

/** Medians of each side over the rounds, sides in a rotating order. */
async function measure(
  sides: readonly string[],
  topic: string,
  count: number,
  withJava: boolean,
): Promise<Map<string, Sample[]>> {
  const samples = new Map<string, Sample[]>(sides.map((s) => [s, []]));
  if (withJava) samples.set('java', []);
  const order = withJava ? ['java', ...sides] : [...sides];
  for (let r = 0; r < ROUNDS; r++) {
    const rotated = [...order.slice(r % order.length), ...order.slice(0, r % order.length)];
    for (const side of rotated) {
      const s = side === 'java' ? await java(topic, count) : await node(side, topic, count);
      if (s !== undefined) samples.get(side)?.push(s);
      console.log(`  round ${r + 1} ${side}: ${s === undefined ? '-' : formatRate(s.rate)}`);
    }
  }
  return samples;
}

const med = (list: readonly Sample[] | undefined, pick: (s: Sample) => number | undefined) => {
  const values = (list ?? []).map(pick).filter((v): v is number => v !== undefined);
  return values.length === 0 ? undefined : median(values);
};

async function main(): Promise<void> {
  const a = `sluice-bench-a-${run}`;
  const b = `sluice-bench-b-${run}`;
  console.log(`producing ${N} messages (A) and ${NB} (B), 6 partitions each…`);
  await makeTopic(a, 6, N);
  await makeTopic(b, 6, NB);
  try {
    console.log('A: no-op handler');
    const sidesA = [
      'kafkajs-batch',
      'platformatic-stream',
      'sluice-kafkajs',
      'sluice-platformatic',
    ].filter(wanted);
    const A = await measure(sidesA, a, N, !smoke && wanted('java'));
    const sidesB = ['kafkajs-each-5ms', 'sluice-kafkajs-5ms', 'sluice-platformatic-5ms'].filter(
      wanted,
    );
    if (sidesB.length > 0) console.log('B: 5 ms handler, 1,000 keys');
    const B = await measure(sidesB, b, NB, false);

    const rate = (m: Map<string, Sample[]>, side: string) => med(m.get(side), (s) => s.rate);
    const cpu = (m: Map<string, Sample[]>, side: string) => med(m.get(side), (s) => s.cpuUsPerMsg);
    const javaRate = rate(A, 'java');
    const bestNode = Math.max(rate(A, 'kafkajs-batch') ?? 0, rate(A, 'platformatic-stream') ?? 0);
    const vs = (x: number | undefined, base: number | undefined) =>
      x === undefined || base === undefined || base === 0 ? '' : `${(x / base).toFixed(2)}×`;
    const us = (x: number | undefined) => (x === undefined ? '' : x.toFixed(1));
    const rowsA = [
      ['A Java consumer (fetch rate)', javaRate === undefined ? '-' : formatRate(javaRate), '', ''],
      ...sidesA.map((side) => [
        `A ${side}`,
        formatRate(rate(A, side) ?? 0),
        vs(rate(A, side), bestNode),
        vs(rate(A, side), javaRate),
        us(cpu(A, side)),
      ]),
    ];
    console.log(table(['scenario', 'msgs/s', 'vs best Node loop', 'vs Java', 'CPU µs/msg'], rowsA));
    const base = rate(B, 'kafkajs-each-5ms');
    const rowsB = sidesB.map((side) => [
      `B ${side}`,
      formatRate(rate(B, side) ?? 0),
      vs(rate(B, side), base),
      side.startsWith('sluice') ? (med(B.get(side), (s) => s.busy)?.toFixed(0) ?? '') : '',
    ]);
    console.log(
      table(['scenario', 'msgs/s', 'vs kafkajs eachMessage', 'busy handlers (avg of 100)'], rowsB),
    );
    console.log(
      `(${ROUNDS} rounds, medians, each a fresh process; the machine may be shared: compare ratios, not rates)`,
    );
  } finally {
    await dropTopics([a, b]);
  }
}

await main();
