/**
 * `npm run bench:e2e` (SQS part): end to end on ElasticMQ (SQS_ENDPOINT,
 * default http://127.0.0.1:9324): receive from a queue, transform each
 * message (parse, add a field, encode), send it to a second queue, and
 * delete the source message once the send is confirmed. Sluice (the SQS
 * producer, a batcher of 100, the SQS sink) against a hand-written loop on
 * the same AWS SDK client (10 lanes, as many as Sluice's receives: each
 * ReceiveMessage of 10, then SendMessageBatch, then DeleteMessageBatch of
 * what was sent), in the same run, each run in a fresh process, timed from
 * the start to the last delete. Target: Sluice ≥ 1.0×.
 *
 *   BENCH_E2E_SQS_N  messages per run (default 3,000)
 *   BENCH_RUNS       counted runs per case (default 3)
 *   --smoke          tiny N, one run each, no judging
 */
import diagnostics from 'node:diagnostics_channel';
import { fileURLToPath } from 'node:url';
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { createPipeline, silentLogger } from '@sluice/core';
import { AwsSqsClient, sqsChannels, sqsProducer, type SqsDeleteEvent } from '@sluice/producers/sqs';
import {
  createTestQueue,
  sqsClientConfigFromEnv,
  type SqsTestQueue,
} from '@sluice/producers/sqs/testing';
import { sinkHandler } from '@sluice/sinks';
import { sqsSink } from '@sluice/sinks/sqs';
import { childRun, freshRuns, type BenchCase } from './fresh-runs.ts';

process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

const smoke = process.argv.includes('--smoke');
const N = smoke ? 200 : Number(process.env['BENCH_E2E_SQS_N'] ?? 3_000);
const RUNS = smoke ? 1 : Number(process.env['BENCH_RUNS'] ?? 3);
const LANES = 10;

const transform = (body: string): string =>
  JSON.stringify({ ...(JSON.parse(body) as Record<string, unknown>), enriched: true });

/** The hand-written loop: receive 10, send them on, delete what was sent. */
async function handWritten(from: string, to: string): Promise<number> {
  const start = performance.now();
  const sqs = new SQSClient(sqsClientConfigFromEnv());
  let deleted = 0;
  const lane = async (): Promise<void> => {
    while (deleted < N) {
      const out = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: from, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      const messages = out.Messages ?? [];
      if (messages.length === 0) continue;
      const sent = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: to,
          Entries: messages.map((m, i) => ({
            Id: String(i),
            MessageBody: transform(m.Body ?? ''),
          })),
        }),
      );
      const ok = new Set((sent.Successful ?? []).map((s) => Number(s.Id)));
      const result = await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: from,
          Entries: messages
            .filter((_, i) => ok.has(i))
            .map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
      deleted += result.Successful?.length ?? 0;
    }
  };
  await Promise.all(Array.from({ length: LANES }, lane));
  const elapsed = performance.now() - start;
  sqs.destroy();
  return elapsed;
}

/** The same in a Sluice pipeline; done once every source message is deleted. */
async function sluice(from: string, to: string): Promise<number> {
  const start = performance.now();
  const client = new AwsSqsClient(sqsClientConfigFromEnv());
  let deleted = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const onDelete = (e: unknown): void => {
    deleted += (e as SqsDeleteEvent).count;
    if (deleted >= N) resolveDone();
  };
  diagnostics.subscribe(sqsChannels.delete, onDelete);
  const sink = sqsSink({ queueUrl: to, concurrency: LANES }, { client });
  const pipeline = createPipeline({
    name: 'e2e',
    logger: silentLogger,
    producer: {
      module: sqsProducer({ queueUrl: from, client, waitTimeSeconds: 1, receiveInterval: 0 }),
    },
    processors: { default: { concurrency: 10 } },
    batchers: { out: { batchSize: 100, batchTimeout: 5 } },
    handleMessage: (_p, m) => m.putData(transform(m.data)).putBatcher('out'),
    handleBatch: sinkHandler(sink),
  });
  await pipeline.start();
  await done;
  const elapsed = performance.now() - start;
  diagnostics.unsubscribe(sqsChannels.delete, onDelete);
  await pipeline.stop();
  await sink.close();
  return elapsed;
}

const split = (target: string): [string, string] => target.split(',') as [string, string];

const CASES: BenchCase[] = [
  {
    name: `AWS SDK loop, ${LANES} lanes: receive → send → delete`,
    n: N,
    run: (t) => handWritten(...split(t)),
  },
  { name: 'Sluice sqs → sqs sink, batches of 100', n: N, run: (t) => sluice(...split(t)) },
];

if (!(await childRun(CASES))) {
  const queues = new Map<string, SqsTestQueue[]>();
  await freshRuns(fileURLToPath(import.meta.url), {
    title: `ElasticMQ: receive, transform, send to a second queue, delete`,
    cases: CASES,
    ratios: [{ label: 'Sluice / AWS SDK loop', sluice: 1, baseline: 0, target: 1.0 }],
    runs: RUNS,
    smoke,
    prepare: async (n) => {
      const from = await createTestQueue({ namePrefix: 'sluice-bench-e2e-' });
      const to = await createTestQueue({ namePrefix: 'sluice-bench-e2e-' });
      const body = JSON.stringify({ id: 0, amount: 42, note: 'bench' });
      await from.publish(n, { body: () => body });
      const target = `${from.url},${to.url}`;
      queues.set(target, [from, to]);
      return target;
    },
    finish: async (target) => {
      const [from, to] = queues.get(target) ?? [];
      queues.delete(target);
      try {
        const left = (await from!.count()).visible;
        const out = (await to!.count()).visible;
        if (left !== 0 || out < N) {
          throw new Error(`after a run: ${left} left, ${out} of ${N} sent on`);
        }
      } finally {
        await from?.delete();
        await to?.delete();
      }
    },
    close: () => Promise.resolve(),
  });
}
