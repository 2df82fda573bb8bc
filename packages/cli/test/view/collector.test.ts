import diagnostics from 'node:diagnostics_channel';
import { createPipeline, generatorProducer, silentLogger, type Message } from '@sluice/core';
import { describe, expect, it } from 'vitest';
import { createCollector, KAFKA_LAG_CHANNEL } from '../../src/view/index.ts';

describe('createCollector', () => {
  it('counts per stage, latency, failures by reason and lag from the telemetry of its own pipeline', async () => {
    const pipeline = createPipeline({
      name: 'collector-test',
      logger: silentLogger,
      producer: { module: generatorProducer({ count: 1000 }) },
      processors: { default: { concurrency: 2 } },
      batchers: { out: { batchSize: 10, batchTimeout: 10 } },
      handleMessage: (_processor: string, message: Message) => {
        const { n } = message.data as { n: number };
        if (n % 100 === 3) throw new RangeError(`order ${n} is out of range`);
        if (n % 100 === 4) return message.fail(`order ${n} has no amount`);
        return message.putBatcher('out');
      },
      handleBatch: (_batcher: string, messages: Message[]) => messages,
    });
    let clock = 0;
    const collector = createCollector(pipeline, { total: 1000, now: () => clock });
    expect(collector.snapshot().stages.map((s) => `${s.kind} ${s.name} ×${s.concurrency}`)).toEqual(
      ['producers producers ×1', 'processor default ×2', 'batcher out ×1'],
    );
    // Another pipeline's lag is not this one's.
    diagnostics
      .channel(KAFKA_LAG_CHANNEL)
      .publish({ pipeline: 'other', topic: 't', partition: 0, lag: 99 });
    diagnostics
      .channel(KAFKA_LAG_CHANNEL)
      .publish({ pipeline: 'collector-test', topic: 't', partition: 0, lag: 5 });
    diagnostics
      .channel(KAFKA_LAG_CHANNEL)
      .publish({ pipeline: 'collector-test', topic: 't', partition: 1, lag: 7 });
    await pipeline.start();
    while (pipeline.stats().successful + pipeline.stats().failed < 1000) {
      await new Promise((r) => setImmediate(r));
    }
    await pipeline.stop();
    clock = 2000;
    const view = collector.snapshot();
    collector.close();
    expect(view).toMatchObject({
      name: 'collector-test',
      total: 1000,
      acked: 980,
      failed: 20,
      inFlight: 0,
    });
    // Every message passed the processors and 980 the batcher, in 2 s of the clock.
    expect(view.stages.map((s) => [s.inFlight, s.perSecond, s.batchesPerSecond])).toEqual([
      [0, undefined, undefined],
      [0, 500, undefined],
      [0, 490, expect.any(Number)],
    ]);
    expect(view.perSecond).toBe(500);
    expect(view.latency?.samples).toBe(1000);
    expect(view.batchLatency?.samples).toBeGreaterThanOrEqual(98);
    expect(view.lag).toEqual({ messages: 12, partitions: 2 });
    expect(view.failures.map((f) => f.count)).toEqual([10, 10]);
    expect(view.failures[0]?.line).toMatch(
      /^RangeError: order N is out of range \(.*collector\.test\.ts:\d+:\d+\)$/,
    );
    expect(view.failures[1]?.line).toBe('order N has no amount');
  });
});
