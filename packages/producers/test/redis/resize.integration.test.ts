/**
 * pipeline.resize() over a Redis stream: the processors grow 2 → 6 → 1 and
 * the batcher 1 → 3 → 1 while entries are in flight; every entry is handled
 * and acked exactly once and nothing is left pending.
 */
import { createPipeline, type Message, type Pipeline } from '@sluice/core';
import { createTestStream, type RedisTestStream } from '@sluice/producers/redis/testing';
import { describeWithBroker } from '@sluice/producers/testing/vitest';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { redisProducer, type RedisFields } from '../../src/redis/index.ts';
import { resizeScenario } from '../resize-scenario.ts';
import { memoryLogger } from './support.ts';

const N = 300;

describeWithBroker('redis', 'pipeline.resize() over a Redis stream', () => {
  let s: RedisTestStream;
  let pipeline: Pipeline | undefined;
  beforeEach(async () => {
    s = await createTestStream();
  });
  afterEach(async () => {
    await pipeline?.stop();
    pipeline = undefined;
    await s.delete();
  });

  it('grows and shrinks the processors and the batcher mid-run: nothing lost or handled twice', async () => {
    await s.add(N);
    const scenario = resizeScenario((m) => (m as Message<RedisFields>).data['n'] as string);
    pipeline = createPipeline({
      name: 'redis-resize',
      logger: memoryLogger(),
      producer: { module: redisProducer({ ...s.options, block: 50 }) },
      ...scenario.definition,
    });
    await scenario.run(pipeline, N);
    expect(await s.pending()).toBe(0);
  }, 60_000);
});
