import { afterEach, describe, expect, it } from 'vitest';
import { Message, type ProducerModule } from '../../src/index.ts';
import { deferred, settle } from '../helpers.ts';
import { advance, fakeTimers, idle, pipeline, recordingAcknowledger, stopAll } from './support.ts';
import { StallWatch } from '../../src/pipeline/health.ts';

afterEach(stopAll);

const message = (data: number, acknowledger = recordingAcknowledger().acknowledger) =>
  new Message({ data, id: data, acknowledger, ackRef: 'ref' });

describe('pipeline.health(): readiness', () => {
  it('is not ready before start, ready once running, not ready while draining', async () => {
    const gate = deferred();
    const p = pipeline({
      producer: { module: idle() },
      processors: { default: {} },
      handleMessage: async (_k, m) => {
        await gate.promise;
        return m;
      },
    });
    expect(p.health()).toMatchObject({ ready: false, live: true });
    expect(p.health().reasons[0]).toMatch(/is created, not running/);
    await p.start();
    expect(p.health()).toMatchObject({ ready: true, live: true, reasons: [], paused: false });
    p.pushMessages([message(1)]);
    await settle();
    const stopping = p.stop();
    await settle();
    expect(p.health().ready).toBe(false);
    expect(p.health().reasons.join()).toMatch(/is stopping, not running/);
    gate.resolve();
    await stopping;
    expect(p.health().reasons.join()).toMatch(/is stopped/);
  });

  it('is not ready while a producer instance reports it is not connected, naming it', async () => {
    let up = false;
    const module: ProducerModule = {
      init: () => ({ handleDemand: () => undefined, connected: () => up }),
    };
    const p = pipeline({
      producer: { module, concurrency: 2 },
      processors: { default: {} },
      handleMessage: (_k, m) => m,
    });
    await p.start();
    expect(p.health().ready).toBe(false);
    expect(p.health().reasons).toEqual([
      expect.stringMatching(/producer instance 0, 1 of test-\d+ not connected to its broker/),
    ]);
    up = true;
    expect(p.health().ready).toBe(true);
  });
});

describe('pipeline.health(): liveness', () => {
  it('names a processor holding a message past stallTimeout, and recovers when it progresses', async () => {
    fakeTimers();
    const gate = deferred();
    const p = pipeline({
      producer: { module: idle() },
      processors: { default: { concurrency: 1 } },
      stallTimeout: 5000,
      handleMessage: async (_k, m) => {
        await gate.promise;
        return m;
      },
    });
    await p.start();
    p.pushMessages([message(1), message(2)]);
    await advance(4000);
    expect(p.health().live).toBe(true);
    await advance(2000);
    const health = p.health();
    expect(health.live).toBe(false);
    expect(health.ready).toBe(true);
    expect(health.stuck.map((s) => [s.stage, s.holding])).toEqual([
      [expect.stringMatching(/^test-\d+\.processor\.default\.0$/), 2],
    ]);
    expect(health.stuck[0]?.stalledMs).toBeGreaterThanOrEqual(5000);
    expect(health.reasons[0]).toMatch(
      /processor\.default\.0 has held 2 message\(s\) without progress for \d+ ms/,
    );
    gate.resolve();
    await advance(0);
    expect(p.health()).toMatchObject({ live: true, stuck: [] });
  });

  it('does not report a busy processor that keeps finishing messages', async () => {
    fakeTimers();
    const p = pipeline({
      producer: { module: idle() },
      processors: { default: { concurrency: 1 } },
      stallTimeout: 1000,
      handleMessage: (_k, m) => new Promise<Message>((r) => setTimeout(() => r(m), 400)),
    });
    await p.start();
    p.pushMessages([1, 2, 3, 4, 5, 6, 7, 8].map((i) => message(i)));
    for (let i = 0; i < 8; i++) {
      await advance(400);
      expect(p.health().live).toBe(true);
    }
  });

  it('names a batch processor stuck in handleBatch', async () => {
    fakeTimers();
    const gate = deferred();
    const p = pipeline({
      producer: { module: idle() },
      processors: { default: {} },
      batchers: { s3: { batchSize: 2 } },
      stallTimeout: 1000,
      handleMessage: (_k, m) => m.putBatcher('s3'),
      handleBatch: async (_b, messages) => {
        await gate.promise;
        return messages;
      },
    });
    await p.start();
    p.pushMessages([message(1), message(2)]);
    await advance(2000);
    expect(p.health().stuck.map((s) => [s.stage, s.holding])).toEqual([
      [expect.stringMatching(/^test-\d+\.batcher\.s3\.0$/), 2],
    ]);
    gate.resolve();
    await advance(0);
    expect(p.health().live).toBe(true);
  });

  it('rejects a stallTimeout that is not a positive number, naming it', () => {
    expect(() =>
      pipeline({
        producer: { module: idle() },
        processors: { default: {} },
        stallTimeout: -1,
        handleMessage: (_k, m) => m,
      }),
    ).toThrow(/stallTimeout.*positive number of ms/s);
  });
});

describe('StallWatch.forget', () => {
  it('stops reporting a stage it forgot (a processor removed by a resize)', () => {
    let now = 0;
    const watch = new StallWatch(100, () => now);
    const kept = watch.watch('p.processor.default.0');
    const gone = watch.watch('p.processor.default.1');
    kept.take(1);
    gone.take(1);
    watch.sample();
    now = 200;
    expect(watch.stuck().map((s) => s.stage)).toEqual([
      'p.processor.default.0',
      'p.processor.default.1',
    ]);
    watch.forget('p.processor.default.1');
    expect(watch.stuck().map((s) => s.stage)).toEqual(['p.processor.default.0']);
  });
});
