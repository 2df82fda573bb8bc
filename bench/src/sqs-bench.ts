/**
 * `npm run bench:sqs`: the SQS producer against ElasticMQ (SQS_ENDPOINT,
 * default http://127.0.0.1:9324), beside two baselines measured in the same
 * run on the same broker:
 *
 * - sqs-consumer, the library Node users pick, with a handler that awaits
 *   10 ms; Sluice runs the same handler at processor concurrency 10 and 100;
 * - a hand-written loop (ReceiveMessage of 10, then DeleteMessageBatch) with a
 *   no-op handler, in 1 lane and in as many parallel lanes as Sluice runs
 *   receives; Sluice runs the same no-op handler.
 *
 * Every scenario gets its own queue, pre-filled with N messages before the
 * clock starts; a run ends when all N are deleted. The scenarios run in
 * turn, RUNS rounds, and the table shows each one's median (the machine is
 * shared, so single runs are noisy). Loopback only, bounded.
 *
 *   BENCH_SQS_N     messages per run (default 3000)
 *   BENCH_SQS_RUNS  rounds (default 3)
 *   --smoke         100 messages, one round: checks the bench works, judges nothing
 */
import diagnostics from 'node:diagnostics_channel';
import { SQSClient, ReceiveMessageCommand, DeleteMessageBatchCommand } from '@aws-sdk/client-sqs';
import { createPipeline, silentLogger } from '@sluice/core';
import { AwsSqsClient, sqsChannels, sqsProducer, type SqsDeleteEvent } from '@sluice/producers/sqs';
import { sqsClientConfigFromEnv } from '@sluice/producers/sqs/testing';
import { Consumer } from 'sqs-consumer';
import { formatRate, median, table } from './stats.ts';

process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

const smoke = process.argv.includes('--smoke');
const N = smoke ? 100 : Number(process.env['BENCH_SQS_N'] ?? 3000);
const RUNS = smoke ? 1 : Number(process.env['BENCH_SQS_RUNS'] ?? 3);
/** Sluice's default maxConcurrentReceives, and the parallel baseline's lanes. */
const LANES = 10;
const TIMEOUT_MS = 120_000;

const admin = new AwsSqsClient(sqsClientConfigFromEnv());
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function filledQueue(name: string): Promise<string> {
  const url = await admin.createQueue(`sluice-bench-${name}-${process.pid}`, {
    VisibilityTimeout: '60',
  });
  await admin.purgeQueue(url);
  await Promise.all(
    Array.from({ length: 10 }, async (_, lane) => {
      for (let start = lane * 10; start < N; start += 100) {
        const entries = Array.from({ length: Math.min(10, N - start) }, (_, k) => ({
          id: String(k),
          body: JSON.stringify({ n: start + k, pad: 'x'.repeat(100) }),
        }));
        await admin.sendMessageBatch(url, entries);
      }
    }),
  );
  return url;
}

async function timed(run: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await Promise.race([
    run(),
    sleep(TIMEOUT_MS).then(() => {
      throw new Error(`scenario did not finish within ${TIMEOUT_MS} ms`);
    }),
  ]);
  return performance.now() - started;
}

/** Sluice: resolves once N messages are deleted. */
async function sluice(url: string, concurrency: number, handlerMs: number): Promise<number> {
  const client = new AwsSqsClient(sqsClientConfigFromEnv());
  let deleted = 0;
  const onDelete = (e: unknown) => {
    deleted += (e as SqsDeleteEvent).count;
  };
  diagnostics.subscribe(sqsChannels.delete, onDelete);
  const pipeline = createPipeline({
    name: 'bench',
    logger: silentLogger,
    producer: {
      module: sqsProducer({ queueUrl: url, client, waitTimeSeconds: 1, receiveInterval: 0 }),
    },
    processors: { default: { concurrency } },
    async handleMessage(_p, m) {
      if (handlerMs > 0) await sleep(handlerMs);
      return m;
    },
  });
  try {
    return await timed(async () => {
      await pipeline.start();
      while (deleted < N) await sleep(2);
    });
  } finally {
    await pipeline.stop();
    diagnostics.unsubscribe(sqsChannels.delete, onDelete);
    client.close();
  }
}

/** sqs-consumer with batchSize 10 (its maximum): resolves once N messages are processed and deleted. */
async function sqsConsumer(url: string, handlerMs: number): Promise<number> {
  const sqs = new SQSClient(sqsClientConfigFromEnv());
  let processed = 0;
  const consumer = Consumer.create({
    queueUrl: url,
    sqs,
    batchSize: 10,
    waitTimeSeconds: 1,
    handleMessage: async (message) => {
      await sleep(handlerMs);
      return message;
    },
  });
  consumer.on('message_processed', () => {
    processed += 1;
  });
  let stopping = false;
  consumer.on('error', (err) => {
    if (!stopping) console.error('sqs-consumer error', err);
  });
  try {
    return await timed(async () => {
      consumer.start();
      while (processed < N) await sleep(2);
    });
  } finally {
    // Abort its last long poll before the queue is deleted.
    stopping = true;
    const stopped = new Promise((resolve) => consumer.once('stopped', resolve));
    consumer.stop({ abort: true });
    await Promise.race([stopped, sleep(3000)]);
    sqs.destroy();
  }
}

/** The hand-written baseline: `lanes` loops of ReceiveMessage(10) then DeleteMessageBatch. */
async function handLoop(url: string, lanes: number): Promise<number> {
  const sqs = new SQSClient(sqsClientConfigFromEnv());
  let deleted = 0;
  const lanesDone: Promise<void>[] = [];
  try {
    // Like the other scenarios, the clock stops once N are deleted, not when
    // the last lane's long poll on the now empty queue returns.
    return await timed(async () => {
      for (let lane = 0; lane < lanes; lane++) {
        lanesDone.push(
          (async () => {
            while (deleted < N) {
              const out = await sqs.send(
                new ReceiveMessageCommand({
                  QueueUrl: url,
                  MaxNumberOfMessages: 10,
                  WaitTimeSeconds: 1,
                  MessageSystemAttributeNames: ['All'],
                  MessageAttributeNames: ['All'],
                }),
              );
              const messages = out.Messages ?? [];
              if (messages.length === 0) continue;
              const result = await sqs.send(
                new DeleteMessageBatchCommand({
                  QueueUrl: url,
                  Entries: messages.map((m, i) => ({
                    Id: String(i),
                    ReceiptHandle: m.ReceiptHandle,
                  })),
                }),
              );
              deleted += result.Successful?.length ?? 0;
            }
          })(),
        );
      }
      while (deleted < N) await sleep(2);
    });
  } finally {
    await Promise.allSettled(lanesDone);
    sqs.destroy();
  }
}

interface Row {
  readonly name: string;
  readonly ms: number;
}

async function main(): Promise<void> {
  const scenarios: [string, (url: string) => Promise<number>][] = [
    ['sqs-consumer, 10 ms handler (batchSize 10)', (u) => sqsConsumer(u, 10)],
    ['Sluice, 10 ms handler, concurrency 10', (u) => sluice(u, 10, 10)],
    ['Sluice, 10 ms handler, concurrency 100', (u) => sluice(u, 100, 10)],
    ['hand loop, no-op, 1 lane', (u) => handLoop(u, 1)],
    [`hand loop, no-op, ${LANES} lanes`, (u) => handLoop(u, LANES)],
    ['Sluice, no-op handler, concurrency 10', (u) => sluice(u, 10, 0)],
  ];
  const samples = new Map<string, number[]>(scenarios.map(([name]) => [name, []]));
  for (let round = 0; round < RUNS; round++) {
    for (const [i, [name, run]] of scenarios.entries()) {
      const url = await filledQueue(`${round}-${i}`);
      let ms: number;
      try {
        ms = await run(url);
      } finally {
        await admin.deleteQueue(url);
      }
      samples.get(name)?.push(ms);
      process.stderr.write(`round ${round + 1}, ${name}: ${formatRate(N / (ms / 1000))} msgs/s\n`);
    }
  }
  const rows: Row[] = scenarios.map(([name]) => ({ name, ms: median(samples.get(name) ?? []) }));
  const rate = (name: string) => {
    const row = rows.find((r) => r.name.startsWith(name));
    return row === undefined ? NaN : N / (row.ms / 1000);
  };
  console.log(
    `\nSQS on ${sqsClientConfigFromEnv().endpoint as string}, ${N} messages per run, median of ${RUNS} runs\n`,
  );
  console.log(
    table(
      ['scenario', 'ms', 'msgs/s'],
      rows.map((r) => [r.name, r.ms.toFixed(0), formatRate(N / (r.ms / 1000))]),
    ),
  );
  const ratios: [string, number, number][] = [
    [
      'Sluice c=10 / sqs-consumer (10 ms handler)',
      rate('Sluice, 10 ms handler, concurrency 10') / rate('sqs-consumer'),
      0,
    ],
    [
      'Sluice c=100 / sqs-consumer (10 ms handler)',
      rate('Sluice, 10 ms handler, concurrency 100') / rate('sqs-consumer'),
      5,
    ],
    [
      'Sluice / hand loop, 1 lane (no-op)',
      rate('Sluice, no-op') / rate('hand loop, no-op, 1 lane'),
      0.9,
    ],
    [
      `Sluice / hand loop, ${LANES} lanes (no-op)`,
      rate('Sluice, no-op') / rate(`hand loop, no-op, ${LANES} lanes`),
      0.9,
    ],
  ];
  console.log('');
  console.log(
    table(
      ['ratio', 'value', 'target'],
      ratios.map(([name, value, target]) => [
        name,
        `${value.toFixed(2)}×`,
        target > 0 ? `≥ ${target}×${smoke ? '' : value >= target ? ' ok' : ' MISSED'}` : '',
      ]),
    ),
  );
  admin.close();
}

await main();
