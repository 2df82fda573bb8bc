import { afterEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '@sluice/core';
import { producer, type Stage } from '@sluice/core/stage';
import { startCounterChain } from '../src/counter-chain.ts';
import { startAdder, startDie } from '../src/dice.ts';
import { startQueueBroadcaster } from '../src/queue-broadcaster.ts';
import { startRateLimiter } from '../src/rate-limiter.ts';

const stages: Stage<never, unknown>[] = [];
function track<S>(...s: S[]): void {
  stages.push(...(s as Stage<never, unknown>[]));
}
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(stages.splice(0).map((s) => s.kill('test-end')));
});

async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe('counter chain', () => {
  it('follows the demand rule: C asks maxDemand, then tops up by maxDemand - minDemand', async () => {
    const chunks: number[][] = [];
    const demands: number[] = [];
    const chain = startCounterChain({
      maxDemand: 10,
      minDemand: 5,
      onChunk: (events) => chunks.push(events),
      onDemand: (d) => demands.push(d),
      logger: silentLogger,
    });
    track(chain.a, chain.b, chain.c);
    while (chunks.length < 20) await turns(1);
    expect(chunks.slice(0, 20).every((c) => c.length === 5)).toBe(true);
    expect(chunks.flat().slice(0, 10)).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
    // B asks A with GenStage's defaults (1000 / 500) and tops up by 500.
    expect(demands[0]).toBe(1000);
    expect(demands.slice(1).every((d) => d === 500)).toBe(true);
  });

  it('hands out chunks of 250 at maxDemand 1000 / minDemand 750', async () => {
    const chunks: number[][] = [];
    const chain = startCounterChain({
      maxDemand: 1000,
      minDemand: 750,
      onChunk: (e) => chunks.push(e),
      logger: silentLogger,
    });
    track(chain.a, chain.b, chain.c);
    while (chunks.length < 8) await turns(1);
    expect(chunks.slice(0, 8).map((c) => c.length)).toEqual([
      250, 250, 250, 250, 250, 250, 250, 250,
    ]);
  });

  it('slows the whole chain down to the printer', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    const chunks: number[][] = [];
    const demands: number[] = [];
    const chain = startCounterChain({
      maxDemand: 10,
      minDemand: 5,
      delayMs: 1000,
      onChunk: (e) => chunks.push(e),
      onDemand: (d) => demands.push(d),
      logger: silentLogger,
    });
    track(chain.a, chain.b, chain.c);
    await turns(20);
    expect(chunks).toHaveLength(1); // C is sleeping on its first chunk
    await vi.advanceTimersByTimeAsync(1000);
    await turns(5);
    expect(chunks).toHaveLength(2);
    // B took in one chunk of 500 for C's 10 and asked A to top up once;
    // while C sleeps, nobody asks A for more.
    expect(demands).toEqual([1000, 500]);
  });
});

describe('rate limiter', () => {
  it('receives at most `allowed` events per interval', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    let n = 0;
    const eager = producer<number>(
      { handleDemand: (d) => Array.from({ length: d }, () => n++) },
      { logger: silentLogger },
    );
    const received: number[] = [];
    const limiter = startRateLimiter({
      producer: eager,
      allowed: 5,
      intervalMs: 1000,
      onEvents: (e) => received.push(...e),
      logger: silentLogger,
    });
    track(eager, limiter);
    await turns(10);
    expect(received).toHaveLength(5);
    await vi.advanceTimersByTimeAsync(1000);
    await turns(10);
    expect(received).toHaveLength(10);
    await vi.advanceTimersByTimeAsync(3000);
    await turns(10);
    expect(received).toEqual(Array.from({ length: 25 }, (_, i) => i));
  });
});

describe('queue broadcaster', () => {
  it('queues notifications without demand, then sends each to every printer', async () => {
    const broadcaster = startQueueBroadcaster<string>({ logger: silentLogger });
    const first = broadcaster.syncNotify('before anyone listens');
    let resolved = false;
    void first.then(() => (resolved = true));
    await turns(5);
    expect(resolved).toBe(false); // no demand yet: still queued
    const printed: string[][] = [[], [], []];
    const printers = printed.map((out) =>
      startRateLimiter({
        producer: broadcaster.stage,
        allowed: 100,
        intervalMs: 60_000,
        onEvents: (e) => out.push(...e),
        logger: silentLogger,
      }),
    );
    track(broadcaster.stage, ...printers);
    await first;
    await broadcaster.syncNotify('second');
    await turns(5);
    // syncNotify resolved only once dispatched; the first printer subscribed
    // alone got the queued notification, then all three got the next one.
    expect(printed[0]).toEqual(['before anyone listens', 'second']);
    expect(printed[1]).toContain('second');
    expect(printed[2]).toContain('second');
  });
});

describe('dice', () => {
  it('one adder consumes from two producers, each at its own demand', async () => {
    const sixes = (): number => 6;
    const ones = (): number => 1;
    const a = startDie('sixes', sixes, silentLogger);
    const b = startDie('ones', ones, silentLogger);
    const adder = startAdder([a, b], 10, silentLogger);
    track(a, b, adder.stage);
    while (
      (adder.totals.get('sixes')?.count ?? 0) < 100 ||
      (adder.totals.get('ones')?.count ?? 0) < 100
    ) {
      await turns(1);
    }
    const s = adder.totals.get('sixes')!;
    const o = adder.totals.get('ones')!;
    expect(s.sum).toBe(6 * s.count);
    expect(o.sum).toBe(o.count);
  });
});
