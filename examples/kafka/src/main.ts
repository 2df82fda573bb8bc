/**
 * Orders from Kafka: handled in order per customer (the Kafka key), many
 * customers at once, failures retried then dead-lettered, successes written
 * in batches. Creates its topics and publishes some orders first, so it runs
 * against an empty local Kafka (`npm run brokers:up`).
 *
 *   node examples/kafka/dist/main.js          # 10,000 orders, then stops
 *   ORDERS=0 node examples/kafka/dist/main.js # just consume, until Ctrl-C
 */
import { Admin } from '@platformatic/kafka';
import { createPipeline, stopOnSignals, type Message } from '@sluice/core';
import {
  PlatformaticClient,
  kafkaProducer,
  type KafkaMessageMetadata,
} from '@sluice/producers/kafka';

const topic = 'sluice-example-orders';
const dlqTopic = 'sluice-example-orders-dlq';
const count = Number(process.env['ORDERS'] ?? 10_000);

// The producer has no broker default: KAFKA_BROKERS, else the local Kafka of `npm run brokers:up`.
const brokers = (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',');
// Topics are set up with @platformatic/kafka itself, the library the producer runs on by default.
const admin = new Admin({ clientId: 'sluice-example', bootstrapBrokers: brokers });
const existing = new Set(await admin.listTopics());
for (const [name, partitions] of [
  [topic, 6],
  [dlqTopic, 1],
] as const) {
  if (!existing.has(name)) await admin.createTopics({ topics: [name], partitions, replicas: 1 });
}
await admin.close();
if (count > 0) {
  const publisher = await new PlatformaticClient({ brokers }).publisher();
  for (let i = 0; i < count; i += 1000) {
    await publisher.send(
      topic,
      Array.from({ length: Math.min(1000, count - i) }, (_, j) => {
        const n = i + j;
        const order = { id: n, customer: `c${n % 300}`, amount: n % 97 };
        return { key: order.customer, value: JSON.stringify(order) };
      }),
    );
  }
  await publisher.close();
}

interface Order {
  readonly id: number;
  readonly customer: string;
  readonly amount: number;
}

let handled = 0;
let written = 0;
const orders = kafkaProducer({
  brokers, // client: 'platformatic' (@platformatic/kafka), the default
  groupId: 'sluice-example-billing',
  topics: [topic],
  fromBeginning: true,
  ordering: 'key', // one customer's orders in order; customers concurrently
  retry: { maxAttempts: 3, backoff: { initial: 50 } }, // handled at most 3 times
  onFailure: 'dlq',
  dlq: { topic: dlqTopic },
});

const pipeline = createPipeline({
  name: 'billing',
  producer: { module: orders },
  processors: { default: { concurrency: 50 } },
  batchers: { ledger: { batchSize: 200, batchTimeout: 500 } },
  async handleMessage(_processor, message: Message) {
    const order = JSON.parse(String(message.data)) as Order;
    await new Promise((r) => setTimeout(r, 2)); // a call to a billing service
    handled++;
    if (order.amount === 0) return message.fail('an order of 0 is not billable');
    return message.putData(order).putBatcher('ledger');
  },
  handleBatch(_batcher, messages) {
    written += messages.length; // one write per batch
    const last = messages.at(-1)?.metadata as unknown as KafkaMessageMetadata | undefined;
    if (last !== undefined && written % 2000 < messages.length) {
      console.log(
        `${written} orders written (last: partition ${last.partition}, offset ${last.offset})`,
      );
    }
    return messages;
  },
});

await pipeline.start();
stopOnSignals(pipeline);
if (count > 0) {
  while (handled < count) await new Promise((r) => setTimeout(r, 100));
  const report = await pipeline.stop();
  console.log(`handled ${handled}, written ${written}, unacked ${report.unacked}`);
}
