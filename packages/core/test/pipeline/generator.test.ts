import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  generatorProducer,
  silentLogger,
  type Message,
  type ProducerContext,
  type ProducerInstance,
} from '../../src/index.ts';
import type { ResolvedDefinition } from '../../src/pipeline/definition.ts';

afterEach(() => {
  vi.useRealTimers();
});

/**
 * Starts one instance of a paced generator and a consumer that, like a
 * fast processor, asks again for every message as soon as it gets it,
 * keeping `window` messages of demand outstanding. Returns the count
 * received so far.
 */
async function consume(rate: number, window: number, concurrency = 1) {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  const module = generatorProducer({ rate });
  let received = 0;
  const self: { instance?: ProducerInstance } = {};
  const got = (messages: readonly unknown[]): void => {
    received += messages.length;
    if (messages.length > 0) queueMicrotask(() => ask(messages.length));
  };
  const ask = (demand: number): void =>
    got((self.instance?.handleDemand(demand) ?? []) as Message[]);
  const context: ProducerContext = {
    pipeline: 'generator-test',
    index: 0,
    concurrency,
    logger: silentLogger,
    definition: {} as ResolvedDefinition,
    emit: got,
  };
  const instance = await module.init(context);
  self.instance = instance;
  ask(window);
  return {
    received: () => received,
    stop: () => instance.prepareForDraining?.(),
  };
}

describe('generatorProducer rate', () => {
  it('reaches 200,000 msg/s with 400 messages of demand (it capped at 4,000: one window per 100 ms tick)', async () => {
    const run = await consume(200_000, 400);
    await vi.advanceTimersByTimeAsync(1000);
    // One second's budget, give or take the first millisecond and the burst.
    expect(run.received()).toBeGreaterThanOrEqual(199_000);
    expect(run.received()).toBeLessThanOrEqual(200_000);
    await run.stop();
  });

  it('holds a slow rate, whatever the demand, and shares it among instances', async () => {
    const run = await consume(1000, 100_000);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(run.received()).toBeGreaterThanOrEqual(9_900);
    expect(run.received()).toBeLessThanOrEqual(10_000);
    await run.stop();
    const shared = await consume(1000, 100_000, 4); // this instance's share: 250/s
    await vi.advanceTimersByTimeAsync(10_000);
    expect(shared.received()).toBeGreaterThanOrEqual(2_450);
    expect(shared.received()).toBeLessThanOrEqual(2_500);
    await shared.stop();
  });

  it('emits nothing after draining begins', async () => {
    const run = await consume(1000, 10);
    await vi.advanceTimersByTimeAsync(100);
    await run.stop();
    const before = run.received();
    await vi.advanceTimersByTimeAsync(1000);
    expect(run.received()).toBe(before);
  });
});
