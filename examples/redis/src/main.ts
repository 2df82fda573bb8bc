/**
 * Orders from a Redis stream: adds orders to the `sluice-example` stream
 * (Redis from docker compose, or any on REDIS_URL), then handles them as the
 * consumer group `billing` with 50 concurrent processors. One order in ten
 * fails the first time and is claimed back after a backoff; the others are
 * XACKed in batches. Ctrl-C drains.
 *
 *   REDIS_URL         the server (default redis://127.0.0.1:6379)
 *   SLUICE_MESSAGES   how many orders to add first (default 1000; 0: none)
 */
import diagnostics from 'node:diagnostics_channel';
import { createPipeline, stopOnSignals } from '@sluice/core';
import { NodeRedisClient, redisChannels, redisProducer } from '@sluice/producers/redis';

const url = process.env['REDIS_URL'] || 'redis://127.0.0.1:6379';
const stream = 'sluice-example';
const count = Number(process.env['SLUICE_MESSAGES'] ?? 1000);

// Any client can add entries; this one is the producer's own adapter.
const redis = new NodeRedisClient(url, { connectionName: 'sluice-example-seed' });
for (let start = 0; start < count; start += 100) {
  const adds = [];
  for (let id = start; id < Math.min(count, start + 100); id++) {
    adds.push(redis.add(stream, { id: String(id), amount: String(id % 100) }));
  }
  await Promise.all(adds);
}
await redis.close();
console.log(`added ${count} orders to ${stream}`);

let acked = 0;
diagnostics.subscribe(redisChannels.ack, (e) => {
  acked += (e as { count: number }).count;
});

let handled = 0;
let retried = 0;
const pipeline = createPipeline({
  name: 'redis-orders',
  producer: {
    module: redisProducer({
      url,
      stream,
      group: 'billing',
      // A failed order is claimed back after 1 s, 2 s, 4 s…
      retryBackoff: { initial: 1000, max: 30_000 },
    }),
  },
  processors: { default: { concurrency: 50 } },
  async handleMessage(_processor, m) {
    const id = Number(m.data.id);
    await new Promise((resolve) => setTimeout(resolve, 10)); // the "work"
    if (id % 10 === 0 && m.metadata.deliveryCount === 1) {
      retried += 1;
      return m.fail(`order ${id}: payment service busy, try again`);
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
