/**
 * pipeline.resize() over NATS JetStream: the processors grow 2 → 6 → 1 and
 * the batcher 1 → 3 → 1 while messages are in flight; every message is
 * handled and acked exactly once and the consumer ends with nothing pending.
 */
import type { Pipeline } from '@sluice/core';
import { describeWithBroker } from '@sluice/producers/testing/vitest';
import { afterEach, expect, it } from 'vitest';
import { createTestStream, type NatsTestStream } from '../../src/nats/testing.ts';
import { resizeScenario } from '../resize-scenario.ts';
import { natsPipeline } from './support.ts';

const N = 300;

describeWithBroker('nats', 'pipeline.resize() over NATS JetStream', () => {
  let s: NatsTestStream | undefined;
  let pipeline: Pipeline | undefined;
  afterEach(async () => {
    await pipeline?.stop();
    pipeline = undefined;
    await s?.delete();
    s = undefined;
  });

  it('grows and shrinks the processors and the batcher mid-run: nothing lost or handled twice', async () => {
    s = await createTestStream();
    await s.publish(N);
    const scenario = resizeScenario((m) => m.data as string);
    pipeline = natsPipeline(s, { decode: 'string', partitionBy: 'none' }, scenario.definition);
    await scenario.run(pipeline, N);
    expect(await s.counts()).toEqual({ pending: 0, ackPending: 0, redelivered: 0 });
  }, 60_000);
});
