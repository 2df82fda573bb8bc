import diagnostics from 'node:diagnostics_channel';
import { afterEach, describe, expect, it } from 'vitest';
import { Message, type ProducerContext, type ProducerModule } from '../../src/index.ts';
import { deferred, settle, until } from '../helpers.ts';
import { listProducer, pipeline, range, recordingAcknowledger, stopAll } from './support.ts';

afterEach(stopAll);

/** A push-style producer: the test emits, as a broker pushing deliveries would. */
function pushProducer(acknowledger = recordingAcknowledger().acknowledger) {
  let context: ProducerContext | undefined;
  const demands: number[] = [];
  const module: ProducerModule = {
    init: (c) => {
      context = c;
      return { handleDemand: (d) => void demands.push(d) };
    },
  };
  const emit = (data: readonly number[]) =>
    (context as ProducerContext).emit(
      data.map((d) => new Message({ data: d, id: d, acknowledger, ackRef: 'ref' })),
    );
  return { module, emit, demands };
}

describe('pipeline.pause() / resume()', () => {
  it('holds what a push producer emits while paused, in order, and dispatches it on resume', async () => {
    const acks = recordingAcknowledger();
    const source = pushProducer(acks.acknowledger);
    const handled: number[] = [];
    const p = pipeline({
      producer: { module: source.module },
      processors: { default: { concurrency: 1 } },
      handleMessage: (_k, m) => {
        handled.push(m.data as number);
        return m;
      },
    });
    await p.start();
    source.emit([1, 2]);
    await until(() => acks.successful().length === 2);
    expect(p.pause()).toBe(true);
    expect(p.pause()).toBe(false);
    expect(p.paused).toBe(true);
    expect(p.health().paused).toBe(true);
    source.emit([3, 4, 5]);
    await settle(50);
    expect(acks.successful()).toEqual([1, 2]);
    expect(p.stats()).toMatchObject({ successful: 2, inFlight: 3 });
    expect(p.resume()).toBe(true);
    await until(() => acks.successful().length === 5);
    expect(handled).toEqual([1, 2, 3, 4, 5]);
    expect(p.stats()).toMatchObject({ successful: 5, inFlight: 0, failed: 0 });
  });

  it('stops asking a pull producer while paused and passes the demand on at resume', async () => {
    const acks = recordingAcknowledger();
    const source = listProducer(range(1000), acks.acknowledger);
    const gate = deferred();
    let paused = false;
    const p = pipeline({
      producer: { module: source.module },
      processors: { default: { concurrency: 2, maxDemand: 10 } },
      handleMessage: async (_k, m) => {
        if (paused) await gate.promise;
        return m;
      },
    });
    await p.start();
    await until(() => acks.successful().length >= 100);
    p.pause();
    paused = true;
    await settle(50);
    const asked = source.demands.length;
    const emitted = source.emitted();
    gate.resolve();
    // In-flight messages finish and are acked; no new demand reaches the module.
    await until(() => p.stats().inFlight === 0);
    await settle(50);
    expect(source.demands.length).toBe(asked);
    expect(source.emitted()).toBe(emitted);
    expect(acks.successful().length).toBe(emitted);
    p.resume();
    await until(() => acks.successful().length === 1000);
    expect(new Set(acks.successful()).size).toBe(1000);
  });

  it('stop() while paused handles and acks what waited: nothing lost', async () => {
    const acks = recordingAcknowledger();
    const source = pushProducer(acks.acknowledger);
    const p = pipeline({
      producer: { module: source.module },
      processors: { default: {} },
      handleMessage: (_k, m) => m,
    });
    await p.start();
    p.pause();
    source.emit(range(20));
    p.pushMessages([new Message({ data: 99, acknowledger: acks.acknowledger, ackRef: 'r' })]);
    await settle(20);
    expect(acks.successful()).toEqual([]);
    const report = await p.stop();
    expect(report).toEqual({ unacked: 0, timedOut: false });
    expect([...acks.successful()].sort((a, b) => (a as number) - (b as number))).toEqual([
      ...range(20),
      99,
    ]);
  });

  it('throws ERR_PIPELINE_STATE unless running', async () => {
    const p = pipeline({
      producer: { module: pushProducer().module },
      processors: { default: {} },
      handleMessage: (_k, m) => m,
    });
    expect(() => p.pause()).toThrow(/pause: pipeline test-\d+ is created, not running/);
    await p.start();
    await p.stop();
    expect(() => p.resume()).toThrow(
      expect.objectContaining({ code: 'ERR_PIPELINE_STATE' }) as Error,
    );
  });

  it('publishes sluice:pipeline:pause on each change', async () => {
    const events: unknown[] = [];
    const listener = (e: unknown) => events.push(e);
    diagnostics.subscribe('sluice:pipeline:pause', listener);
    try {
      const p = pipeline({
        producer: { module: pushProducer().module },
        processors: { default: {} },
        handleMessage: (_k, m) => m,
      });
      await p.start();
      p.pause();
      p.pause();
      p.resume();
      expect(events).toEqual([
        { pipeline: p.name, paused: true },
        { pipeline: p.name, paused: false },
      ]);
    } finally {
      diagnostics.unsubscribe('sluice:pipeline:pause', listener);
    }
  });
});
