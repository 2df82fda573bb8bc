/**
 * pipeline.pause() / resume() over a Redis stream, paused for three times
 * `claimIdle` with entries held in the processors: the producer keeps their
 * idle time reset, so no instance claims them back; after resume every
 * entry is handled exactly once and nothing is left pending.
 */
import { createPipeline, type Message, type Pipeline } from '@sluice/core';
import { createTestStream, type RedisTestStream } from '@sluice/producers/redis/testing';
import { describeWithBroker } from '@sluice/producers/testing/vitest';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { redisProducer, type RedisFields } from '../../src/redis/index.ts';
import { memoryLogger, waitFor } from './support.ts';

const N = 300;

describeWithBroker('redis', 'pipeline.pause() / resume() over a Redis stream', () => {
  let s: RedisTestStream;
  let pipeline: Pipeline | undefined;
  let release = (): void => undefined;
  beforeEach(async () => {
    s = await createTestStream();
  });
  afterEach(async () => {
    release();
    await pipeline?.stop();
    pipeline = undefined;
    await s.delete();
  });

  it('holds its place through a pause longer than claimIdle: nothing lost or handled twice', async () => {
    await s.add(N);
    const seen = new Map<string, number>();
    let waiting = 0;
    let started = 0;
    let open!: () => void;
    let gate: Promise<void> | undefined = new Promise((r) => (open = r));
    release = () => open();
    const p = (pipeline = createPipeline({
      name: 'redis-pause',
      logger: memoryLogger(),
      producer: {
        module: redisProducer({ ...s.options, block: 50, claimIdle: 1000, claimInterval: 100 }),
      },
      processors: { default: { concurrency: 4, maxDemand: 10 } },
      handleMessage: async (_k, m) => {
        // From the 51st entry on, every handler waits at the gate.
        if (gate === undefined || ++started <= 50) await new Promise((r) => setImmediate(r));
        else {
          waiting++;
          await gate;
        }
        const n = (m as Message<RedisFields>).data['n'] as string;
        seen.set(n, (seen.get(n) ?? 0) + 1);
        return m;
      },
    }));
    await p.start();
    await waitFor('every processor waiting in its handler', () => waiting === 4);
    expect(p.pause()).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    const atPause = p.stats();
    expect(atPause.inFlight).toBeGreaterThan(4);
    // Three claimIdle periods: entries left idle would be claimed back by now.
    await new Promise((r) => setTimeout(r, 3000));
    expect(p.stats().successful).toBe(atPause.successful);
    open();
    gate = undefined;
    expect(p.resume()).toBe(true);
    await waitFor(`all ${N} acked`, () => p.stats().successful === N, 30_000);
    expect(await p.stop()).toEqual({ unacked: 0, timedOut: false });
    pipeline = undefined;
    expect(seen.size).toBe(N);
    expect([...seen.entries()].filter(([, n]) => n > 1)).toEqual([]);
    expect(await s.pending()).toBe(0);
  }, 40_000);
});
