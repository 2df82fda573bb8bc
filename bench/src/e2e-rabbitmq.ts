/**
 * `npm run bench:e2e`: end to end on the local RabbitMQ (AMQP_URL):
 * consume a queue, transform each message (parse, add a field, encode),
 * publish it to a second queue and ack the source once the broker
 * confirmed the publish. Sluice (the RabbitMQ producer, a batcher, the
 * RabbitMQ sink) against a hand-written amqplib loop doing the same on one
 * connection (consume at the same prefetch, publish on a confirm channel,
 * ack in the confirm callback), in the same run, each run in a fresh
 * process. Target: Sluice ≥ 1.0×.
 *
 *   BENCH_E2E_N     messages per run (default 20,000)
 *   BENCH_RUNS      counted runs per case (default 3)
 *   --smoke         tiny N, one run each, no judging
 */
import { randomUUID } from 'node:crypto';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { fileURLToPath } from 'node:url';
import amqplib from 'amqplib';
import { createPipeline, redactUrl, silentLogger } from '@sluice/core';
import { rabbitmqProducer } from '@sluice/producers/rabbitmq';
import { sinkHandler } from '@sluice/sinks';
import { rabbitMqSink } from '@sluice/sinks/rabbitmq';
import { childRun, freshRuns, type BenchCase } from './fresh-runs.ts';

const smoke = process.argv.includes('--smoke');
const URL_ = process.env['AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
const N = smoke ? 500 : Number(process.env['BENCH_E2E_N'] ?? 20_000);
const RUNS = smoke ? 1 : Number(process.env['BENCH_RUNS'] ?? 3);
const PREFETCH = 200;

/** The work on each message: parse, enrich, encode. */
const transform = (body: Buffer): Buffer => {
  const order = JSON.parse(body.toString()) as Record<string, unknown>;
  return Buffer.from(JSON.stringify({ ...order, enriched: true }));
};

/** The hand-written loop: ack each source message once its copy is confirmed. */
async function handWritten(from: string, to: string): Promise<number> {
  const start = performance.now();
  const connection = await amqplib.connect(URL_, { noDelay: true });
  const consume = await connection.createChannel();
  const publish = await connection.createConfirmChannel();
  await consume.prefetch(PREFETCH);
  let acked = 0;
  await new Promise<void>((resolve) => {
    void consume.consume(from, (message) => {
      if (message === null) return;
      publish.publish('', to, transform(message.content), { persistent: true }, (error) => {
        if (error) consume.nack(message);
        else consume.ack(message);
        if (++acked === N) resolve();
      });
    });
  });
  const elapsed = performance.now() - start;
  await publish.close();
  await consume.close();
  await connection.close();
  return elapsed;
}

/** The same in a Sluice pipeline; done when every source message's ack has been sent. */
async function sluice(from: string, to: string): Promise<number> {
  let acked = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const onAck = (payload: unknown): void => {
    acked += (payload as { count: number }).count;
    if (acked >= N) resolveDone();
  };
  subscribe('sluice:rabbitmq:ack', onAck);
  const start = performance.now();
  const sink = rabbitMqSink({ url: URL_, routingKey: to });
  const pipeline = createPipeline({
    name: 'e2e',
    producer: { module: rabbitmqProducer({ queue: from, url: URL_, prefetch: PREFETCH }) },
    processors: { default: { concurrency: 2 } },
    batchers: { out: { batchSize: 100, batchTimeout: 5 } },
    logger: silentLogger,
    handleMessage: (_p, message) => message.putData(transform(message.data)).putBatcher('out'),
    handleBatch: sinkHandler(sink),
  });
  await pipeline.start();
  await done;
  const elapsed = performance.now() - start;
  unsubscribe('sluice:rabbitmq:ack', onAck);
  await pipeline.stop();
  await sink.close();
  return elapsed;
}

const split = (target: string): [string, string] => target.split(',') as [string, string];

const CASES: BenchCase[] = [
  {
    name: `amqplib consume → publish (confirms), prefetch ${PREFETCH}`,
    n: N,
    run: (t) => handWritten(...split(t)),
  },
  {
    name: `Sluice rabbitmq → rabbitmq sink, prefetch ${PREFETCH}, batches of 100`,
    n: N,
    run: (t) => sluice(...split(t)),
  },
];

if (!(await childRun(CASES))) {
  const admin = await amqplib.connect(URL_);
  await freshRuns(fileURLToPath(import.meta.url), {
    title: `RabbitMQ at ${redactUrl(URL_)}: consume, transform, publish to a second queue`,
    cases: CASES,
    ratios: [{ label: 'Sluice / amqplib', sluice: 1, baseline: 0, target: 1.0 }],
    runs: RUNS,
    smoke,
    prepare: async (n) => {
      const id = randomUUID().slice(0, 12);
      const [from, to] = [`sluice-bench-e2e-${id}-in`, `sluice-bench-e2e-${id}-out`];
      const channel = await admin.createConfirmChannel();
      await channel.assertQueue(from, { durable: true });
      await channel.assertQueue(to, { durable: true });
      const body = Buffer.from(JSON.stringify({ id: 0, amount: 42, note: 'bench' }));
      for (let i = 0; i < n; i++) {
        if (!channel.sendToQueue(from, body, { persistent: true })) await channel.waitForConfirms();
      }
      await channel.waitForConfirms();
      await channel.close();
      return `${from},${to}`;
    },
    finish: async (target) => {
      const [from, to] = split(target);
      const channel = await admin.createChannel();
      try {
        // The broker counts acks a moment after they are sent: wait, bounded.
        let left = -1;
        let out = -1;
        for (let i = 0; i < 2000 && (left !== 0 || out !== N); i++) {
          if (i > 0) await new Promise((r) => setTimeout(r, 5));
          left = (await channel.checkQueue(from)).messageCount;
          out = (await channel.checkQueue(to)).messageCount;
        }
        if (left !== 0 || out !== N) {
          throw new Error(`after a run: ${left} left on ${from}, ${out} of ${N} on ${to}`);
        }
      } finally {
        await channel.deleteQueue(from);
        await channel.deleteQueue(to);
        await channel.close();
      }
    },
    close: () => admin.close(),
  });
}
