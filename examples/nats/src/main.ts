/**
 * Orders from NATS JetStream: creates the `SLUICE_EXAMPLE` stream on
 * `example.orders.>` (NATS from docker compose, or any on NATS_URL),
 * publishes orders, then handles them through the durable pull consumer
 * `billing` with 50 concurrent processors. One order in ten fails the first
 * time and is `nak`ed with a delay; the others are acked. Ctrl-C drains.
 *
 *   NATS_URL          the server (default nats://127.0.0.1:4222)
 *   SLUICE_MESSAGES   how many orders to publish first (default 1000; 0: none)
 */
import diagnostics from 'node:diagnostics_channel';
import { createPipeline, stopOnSignals } from '@sluice/core';
import { NatsJsAdmin, natsChannels, natsProducer } from '@sluice/producers/nats';

const url = process.env['NATS_URL'] || 'nats://127.0.0.1:4222';
const stream = 'SLUICE_EXAMPLE';
const count = Number(process.env['SLUICE_MESSAGES'] ?? 1000);

// The stream is made once; publishing waits for JetStream's ack.
const admin = await NatsJsAdmin.connect([url]);
await admin.createStream(stream, ['example.orders.>']).catch(() => undefined);
const encoder = new TextEncoder();
for (let start = 0; start < count; start += 100) {
  const sends = [];
  for (let id = start; id < Math.min(count, start + 100); id++) {
    const order = JSON.stringify({ id, amount: id % 100 });
    sends.push(admin.publish(`example.orders.${id % 4}`, encoder.encode(order)));
  }
  await Promise.all(sends);
}
await admin.close();
console.log(`published ${count} orders to ${stream}`);

let acked = 0;
diagnostics.subscribe(natsChannels.ack, (e) => {
  acked += (e as { count: number }).count;
});

let handled = 0;
let retried = 0;
const pipeline = createPipeline({
  name: 'nats-orders',
  producer: {
    module: natsProducer({
      servers: url,
      stream,
      consumer: 'billing',
      createConsumer: true,
      decode: 'json',
      // A failed order is redelivered after 1 s, 2 s, 4 s…
      retryBackoff: { initial: 1000, max: 30_000 },
    }),
  },
  processors: { default: { concurrency: 50 } },
  async handleMessage(_processor, m) {
    const order = m.data as { id: number; amount: number };
    await new Promise((resolve) => setTimeout(resolve, 10)); // the "work"
    if (order.id % 10 === 0 && m.metadata.deliveryCount === 1) {
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
  console.log(`${seconds.toFixed(0)} s: handled ${handled}, retried ${retried}, acked ${acked}`);
  if (count > 0 && acked >= count) {
    clearInterval(timer);
    void pipeline.stop().then((report) => {
      console.log(`done: ${acked} orders acked, ${retried} retried once`, report);
    });
  }
}, 1000);
