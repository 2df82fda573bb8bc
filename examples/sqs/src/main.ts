/**
 * Orders from SQS: fills the `sluice-example` queue (ElasticMQ from
 * `npm run brokers:up` or docker compose) with orders, then handles them with
 * 50 concurrent processors. One order in ten fails the first time and is
 * retried with backoff; the others are deleted in batches. Ctrl-C drains.
 *
 *   SQS_ENDPOINT      the endpoint (default http://127.0.0.1:9324)
 *   SLUICE_MESSAGES   how many orders to send first (default 1000; 0: none)
 */
import diagnostics from 'node:diagnostics_channel';
import { createPipeline, stopOnSignals, type Message } from '@sluice/core';
import {
  AwsSqsClient,
  sqsChannels,
  sqsProducer,
  type SqsDeleteEvent,
  type SqsMetadata,
} from '@sluice/producers/sqs';

interface Order {
  readonly id: number;
  readonly amount: number;
}

const endpoint = process.env['SQS_ENDPOINT'] || 'http://127.0.0.1:9324';
const queueUrl = `${endpoint}/000000000000/sluice-example`;
const count = Number(process.env['SLUICE_MESSAGES'] ?? 1000);

// ElasticMQ takes any credentials. On AWS, give no endpoint or credentials
// (`new AwsSqsClient()`): the AWS SDK finds the region and credentials itself.
const sqs = new AwsSqsClient({
  endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
});
for (let start = 0; start < count; start += 10) {
  const entries = Array.from({ length: Math.min(10, count - start) }, (_, k) => ({
    id: String(k),
    body: JSON.stringify({ id: start + k, amount: (start + k) % 100 } satisfies Order),
  }));
  await sqs.sendMessageBatch(queueUrl, entries);
}
console.log(`sent ${count} orders to ${queueUrl}`);

let deleted = 0;
diagnostics.subscribe(sqsChannels.delete, (e) => {
  deleted += (e as SqsDeleteEvent).count;
});

let handled = 0;
let retried = 0;
const pipeline = createPipeline({
  name: 'sqs-orders',
  producer: {
    module: sqsProducer({
      queueUrl,
      client: sqs,
      waitTimeSeconds: 5,
      onFailure: 'retry',
      retryBackoff: { initial: 1000, max: 60_000 },
    }),
  },
  processors: { default: { concurrency: 50 } },
  async handleMessage(_processor, m: Message) {
    const order = JSON.parse(m.data as string) as Order;
    const metadata = m.metadata as unknown as SqsMetadata;
    const receiveCount = Number(metadata.attributes['ApproximateReceiveCount'] ?? 1);
    await new Promise((resolve) => setTimeout(resolve, 10)); // the "work"
    if (order.id % 10 === 0 && receiveCount === 1) {
      retried += 1;
      return m.fail(`order ${order.id}: payment service busy, try again`);
    }
    handled += 1;
    return m;
  },
});

await pipeline.start();
stopOnSignals(pipeline);
console.log('reading; Ctrl-C to stop');

const started = Date.now();
const timer = setInterval(() => {
  const seconds = (Date.now() - started) / 1000;
  console.log(
    `${seconds.toFixed(0)} s: handled ${handled}, retried ${retried}, deleted ${deleted}`,
  );
  if (count > 0 && deleted >= count) {
    clearInterval(timer);
    void pipeline.stop().then((report) => {
      console.log(`done: ${deleted} orders deleted, ${retried} retried once`, report);
      sqs.close();
    });
  }
}, 1000);
