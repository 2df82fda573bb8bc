/**
 * `npm run bench:rabbitmq`: the RabbitMQ producer against a hand-written
 * amqplib consumer, on the local RabbitMQ (AMQP_URL), in the same run.
 *
 * Scenarios (each: one warm-up run, then RUNS counted runs; the median is shown):
 * - noop:  a handler that does nothing; both consume with the same prefetch.
 *          Target: Sluice ≥ 0.9× the hand-written consumer.
 * - sleep: a handler that awaits 10 ms. The hand-written consumer runs at
 *          prefetch 10, as typically written (one callback per delivery, ack
 *          when done); Sluice runs 100 processors at prefetch 200.
 *          Target: Sluice ≥ 5×.
 *
 * Every run publishes its messages to a fresh queue first (not timed), then
 * times from the start of consuming (connecting included) to the last ack
 * sent. Queues are deleted afterwards.
 *
 *   BENCH_NOOP_N   messages per noop run (default 20,000)
 *   BENCH_SLEEP_N  messages per sleep run (default 3,000)
 *   BENCH_RUNS     counted runs per case (default 3)
 *   --smoke        tiny N, one run each, no judging
 */
import { randomUUID } from 'node:crypto';
import amqplib from 'amqplib';
import { createPipeline, redactUrl, silentLogger } from '@sluice/core';
import { rabbitmqProducer } from '@sluice/producers/rabbitmq';
import { formatRate, median, table } from './stats.ts';

const smoke = process.argv.includes('--smoke');
const URL_ = process.env['AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
const NOOP_N = smoke ? 500 : Number(process.env['BENCH_NOOP_N'] ?? 20_000);
const SLEEP_N = smoke ? 200 : Number(process.env['BENCH_SLEEP_N'] ?? 3_000);
const RUNS = smoke ? 1 : Number(process.env['BENCH_RUNS'] ?? 3);
const NOOP_PREFETCH = 100;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

type Admin = Awaited<ReturnType<typeof amqplib.connect>>;

/** A fresh queue holding `n` small persistent messages. */
async function prepare(admin: Admin, n: number): Promise<string> {
  const queue = `sluice-bench-${randomUUID().slice(0, 12)}`;
  const channel = await admin.createConfirmChannel();
  await channel.assertQueue(queue, { durable: true });
  const body = Buffer.from(JSON.stringify({ id: 0, amount: 42, note: 'bench' }));
  for (let i = 0; i < n; i++) {
    if (!channel.sendToQueue(queue, body, { persistent: true, messageId: String(i) })) {
      await channel.waitForConfirms();
    }
  }
  await channel.waitForConfirms();
  await channel.close();
  return queue;
}

/** Resolves once the queue has no message ready (checked every 5 ms): a sanity check after each run. */
async function settled(admin: Admin, queue: string): Promise<void> {
  const channel = await admin.createChannel();
  try {
    while ((await channel.checkQueue(queue)).messageCount > 0) await sleep(5);
  } finally {
    await channel.close();
  }
}

async function drop(admin: Admin, queue: string): Promise<void> {
  const channel = await admin.createChannel();
  await channel.deleteQueue(queue);
  await channel.close();
}

/** The hand-written consumer: one callback per delivery, ack when the handler is done. */
async function handWritten(
  queue: string,
  n: number,
  prefetch: number,
  work: () => Promise<void> | void,
): Promise<number> {
  const connection = await amqplib.connect(URL_, { noDelay: true });
  const channel = await connection.createChannel();
  await channel.prefetch(prefetch);
  let acked = 0;
  const start = performance.now();
  const done = new Promise<void>((resolve) => {
    void channel.consume(queue, (message) => {
      if (message === null) return;
      const finish = (): void => {
        channel.ack(message);
        if (++acked === n) resolve();
      };
      const result = work();
      if (result instanceof Promise) void result.then(finish);
      else finish();
    });
  });
  await done;
  const elapsed = performance.now() - start;
  await channel.close();
  await connection.close();
  return elapsed;
}

/** The same work in a Sluice pipeline; done when every message's ack has been sent. */
async function sluice(
  queue: string,
  n: number,
  prefetch: number,
  processors: { concurrency: number; maxDemand?: number },
  work: () => Promise<void> | void,
): Promise<number> {
  let acked = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => {
    resolveDone = r;
  });
  const { subscribe, unsubscribe } = await import('node:diagnostics_channel');
  const onAck = (payload: unknown): void => {
    acked += (payload as { count: number }).count;
    if (acked >= n) resolveDone();
  };
  subscribe('sluice:rabbitmq:ack', onAck);
  const start = performance.now();
  const pipeline = createPipeline({
    name: 'bench',
    producer: { module: rabbitmqProducer({ queue, url: URL_, prefetch }) },
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
  unsubscribe('sluice:rabbitmq:ack', onAck);
  await pipeline.stop();
  return elapsed;
}

interface Case {
  readonly name: string;
  readonly n: number;
  readonly run: (queue: string) => Promise<number>;
}

const CASES: Case[] = [
  {
    name: `noop, amqplib, prefetch ${NOOP_PREFETCH}`,
    n: NOOP_N,
    run: (q) => handWritten(q, NOOP_N, NOOP_PREFETCH, () => undefined),
  },
  {
    name: `noop, Sluice, prefetch ${NOOP_PREFETCH}, 2 processors`,
    n: NOOP_N,
    run: (q) => sluice(q, NOOP_N, NOOP_PREFETCH, { concurrency: 2 }, () => undefined),
  },
  {
    name: 'sleep 10 ms, amqplib, prefetch 10',
    n: SLEEP_N,
    run: (q) => handWritten(q, SLEEP_N, 10, () => sleep(10)),
  },
  {
    name: 'sleep 10 ms, Sluice, prefetch 200, 100 processors',
    n: SLEEP_N,
    run: (q) => sluice(q, SLEEP_N, 200, { concurrency: 100, maxDemand: 1 }, () => sleep(10)),
  },
];

async function main(): Promise<void> {
  const admin = await amqplib.connect(URL_);
  const rates = new Map<string, number>();
  const rows: string[][] = [];
  try {
    for (const c of CASES) {
      const samples: number[] = [];
      for (let i = 0; i < RUNS + (smoke ? 0 : 1); i++) {
        const queue = await prepare(admin, c.n);
        try {
          const ms = await c.run(queue);
          await settled(admin, queue);
          if (smoke || i > 0) samples.push(c.n / (ms / 1000));
        } finally {
          await drop(admin, queue);
        }
      }
      const rate = median(samples);
      rates.set(c.name, rate);
      rows.push([
        c.name,
        String(c.n),
        formatRate(rate),
        `${formatRate(Math.min(...samples))}–${formatRate(Math.max(...samples))}`,
      ]);
      console.log(`${c.name}: ${formatRate(rate)} msgs/s`);
    }
  } finally {
    await admin.close();
  }
  console.log(
    `\nRabbitMQ at ${redactUrl(URL_)}, ${RUNS} counted runs each${smoke ? ' (smoke)' : ''}\n`,
  );
  console.log(table(['case', 'messages', 'msgs/s (median)', 'min–max'], rows));
  const ratio = (a: number, b: number) => rates.get(CASES[a]!.name)! / rates.get(CASES[b]!.name)!;
  const noop = ratio(1, 0);
  const slow = ratio(3, 2);
  console.log(`\nnoop:  Sluice / amqplib = ${noop.toFixed(2)}× (target ≥ 0.9×)`);
  console.log(`sleep: Sluice / amqplib = ${slow.toFixed(2)}× (target ≥ 5×)`);
  if (!smoke && (noop < 0.9 || slow < 5)) {
    console.log('below target');
    process.exitCode = 1;
  }
}

await main();
