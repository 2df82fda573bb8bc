import { createPipeline, type Pipeline, silentLogger } from '@sluice/core';
import { testBatch, testProducer } from '@sluice/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { byteBudget, bytesOf } from '../src/byte-batches.ts';

let pipeline: Pipeline | undefined;
afterEach(async () => {
  await pipeline?.stop();
});

describe('byte budget batching', () => {
  it('never sends a batch over the limit, and fills batches close to it', async () => {
    const limit = 1000;
    const maxLine = 100;
    const batches: number[] = [];
    pipeline = createPipeline({
      name: 'bytes',
      logger: silentLogger,
      producer: { module: testProducer<string>() },
      processors: { default: { concurrency: 1 } },
      batchers: {
        default: { batchSize: byteBudget(limit, maxLine), batchTimeout: 60_000 },
      },
      handleMessage: (_p, m) => m,
      handleBatch(_b, messages) {
        batches.push(messages.reduce((sum, m) => sum + bytesOf(m), 0));
        return messages;
      },
    });
    await pipeline.start();
    const lines = Array.from({ length: 200 }, (_, i) => 'y'.repeat(1 + ((i * 37) % maxLine)));
    const acked = testBatch(pipeline, lines);
    await pipeline.stop(); // drains, flushing the last, partial batch
    const { successful } = await acked;
    expect(successful).toHaveLength(200);
    expect(Math.max(...batches)).toBeLessThanOrEqual(limit);
    // every batch but the last closed within one message of the threshold
    expect(batches.slice(0, -1).every((b) => b >= limit - 2 * maxLine)).toBe(true);
    expect(batches.reduce((a, b) => a + b, 0)).toBe(lines.reduce((a, l) => a + l.length, 0));
  });

  it('refuses a message budget that does not fit the limit', () => {
    expect(() => byteBudget(100, 100)).toThrow('maxMessageBytes (100) must be below limit (100)');
  });
});
