/**
 * A slow sink slows the pipeline: while its write waits, the producer is
 * asked for no more than the stages' demand bounds allow, instead of
 * producing without end into a buffer.
 */
import { setImmediate as tick } from 'node:timers/promises';
import { createPipeline, generatorProducer, type Message } from '@sluice/core';
import { expect, it } from 'vitest';
import { sinkHandler, WRITTEN, type Sink } from '../src/index.ts';

it('an endless source waits for a sink that does not answer, and goes on once it does', async () => {
  let produced = 0;
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let firstWrite!: () => void;
  const writing = new Promise<void>((r) => (firstWrite = r));
  let written = 0;
  const slow: Sink = {
    name: 'slow',
    write: async (messages: readonly Message[]) => {
      firstWrite();
      await released;
      written += messages.length;
      return messages.map(() => WRITTEN);
    },
    close: () => Promise.resolve(),
  };
  const pipeline = createPipeline({
    name: 'back-pressure',
    // No count: it produces as long as it is asked.
    producer: { module: generatorProducer({ data: (n) => (produced++, n) }) },
    processors: { default: { concurrency: 2, maxDemand: 10 } },
    batchers: { out: { batchSize: 10, batchTimeout: 1, concurrency: 1 } },
    handleMessage: (_p, m) => m.putBatcher('out'),
    handleBatch: sinkHandler(slow),
  });
  await pipeline.start();
  try {
    await writing;
    // Give every stage many turns of the event loop to ask for more.
    for (let i = 0; i < 500; i++) await tick();
    const held = produced;
    for (let i = 0; i < 500; i++) await tick();
    // Nothing more was produced while the sink held its batch, and what was
    // is bounded by the stages' demand (processors 2 × 10, the batcher's
    // buffer), not by time.
    expect(produced).toBe(held);
    expect(produced).toBeLessThan(500);
    release();
    while (written < 100) await tick();
    expect(produced).toBeGreaterThan(held);
  } finally {
    release();
    await pipeline.stop();
  }
});
