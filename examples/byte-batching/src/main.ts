/**
 * Runs a pipeline that ships log lines in batches of at most 64 KiB.
 *
 *   node examples/byte-batching/dist/main.js
 */
import { createPipeline, generatorProducer } from '@sluice/core';
import { byteBudget, bytesOf } from './byte-batches.ts';

const LIMIT = 64 * 1024;
const MAX_LINE = 4 * 1024;
const sizes: number[] = [];
let done = 0;
const total = 20_000;

const pipeline = createPipeline({
  name: 'log-shipper',
  producer: {
    module: generatorProducer({
      count: total,
      data: (n) => `line ${n} ${'x'.repeat((n * 7919) % 3000)}`,
      onAck: (s, f) => (done += s + f),
    }),
  },
  processors: { default: { concurrency: 2 } },
  batchers: {
    shipper: { batchSize: byteBudget(LIMIT, MAX_LINE), batchTimeout: 500 },
  },
  handleMessage(_processor, message) {
    if (bytesOf(message) > MAX_LINE) return message.fail(`line over ${MAX_LINE} bytes`);
    return message.putBatcher('shipper');
  },
  handleBatch(_batcher, messages) {
    sizes.push(messages.reduce((sum, m) => sum + bytesOf(m), 0));
    return messages;
  },
});

await pipeline.start();
while (done < total) await new Promise((r) => setTimeout(r, 10));
await pipeline.stop();
console.log(
  `${total.toLocaleString()} lines in ${sizes.length} batches; largest ${Math.max(...sizes).toLocaleString()} bytes (limit ${LIMIT.toLocaleString()}), ` +
    `mean ${Math.round(sizes.reduce((a, b) => a + b, 0) / sizes.length).toLocaleString()} bytes`,
);
