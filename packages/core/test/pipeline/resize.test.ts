import diagnostics from 'node:diagnostics_channel';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { Message, PipelineResizeEvent } from '../../src/index.ts';
import { deferred, settle, until } from '../helpers.ts';
import { idle, listProducer, pipeline, range, recordingAcknowledger, stopAll } from './support.ts';

afterEach(stopAll);

/** Counts handler calls running at once, and holds them until released. */
function gatedHandler() {
  let gate = deferred();
  let running = 0;
  let most = 0;
  return {
    handle: async <M extends Message>(m: M): Promise<M> => {
      running++;
      most = Math.max(most, running);
      await gate.promise;
      running--;
      return m;
    },
    running: () => running,
    most: () => most,
    resetMost: () => {
      most = running;
    },
    release: () => {
      gate.resolve();
      gate = deferred();
    },
    open: () => {
      gate.resolve();
    },
  };
}

const sortedNumbers = (values: unknown[]) => [...(values as number[])].sort((a, b) => a - b);

describe('pipeline.resize()', () => {
  it('grows a processor group: the new processors take work at once, with the same demand settings', async () => {
    const acks = recordingAcknowledger();
    const source = listProducer(range(200), acks.acknowledger);
    const gate = gatedHandler();
    const events: PipelineResizeEvent[] = [];
    const listen = (e: unknown) => events.push(e as PipelineResizeEvent);
    diagnostics.subscribe('sluice:pipeline:resize', listen);
    try {
      const p = pipeline({
        producer: { module: source.module },
        processors: { default: { concurrency: 1, maxDemand: 5 } },
        handleMessage: (_k, m) => gate.handle(m),
      });
      await p.start();
      await until(() => gate.running() === 1);
      const { applied, ...result } = p.resize('default', 4);
      expect(result).toEqual({
        stage: `${p.name}.processor.default`,
        kind: 'processor',
        key: 'default',
        from: 1,
        to: 4,
      });
      await applied;
      expect(events).toEqual([{ pipeline: p.name, ...result }]);
      await until(() => gate.running() === 4);
      expect(p.topology().processors[0]?.concurrency).toBe(4);
      // Each new processor asked for maxDemand (5), as the first one did.
      expect(source.demands.slice(1)).toEqual([5, 5, 5]);
      gate.open();
      await until(() => acks.successful().length === 200);
      expect(sortedNumbers(acks.successful())).toEqual(range(200));
      expect(await p.stop()).toEqual({ unacked: 0, timedOut: false });
    } finally {
      diagnostics.unsubscribe('sluice:pipeline:resize', listen);
    }
  });

  it('shrinks a processor group: removed processors finish and ack what they hold, then no more than the new count run', async () => {
    const acks = recordingAcknowledger();
    const source = listProducer(range(300), acks.acknowledger);
    const gate = gatedHandler();
    const p = pipeline({
      producer: { module: source.module },
      processors: { default: { concurrency: 4, maxDemand: 10 } },
      handleMessage: (_k, m) => gate.handle(m),
    });
    await p.start();
    await until(() => gate.running() === 4);
    expect(p.resize(`${p.name}.processor.default`, 1)).toMatchObject({ from: 4, to: 1 });
    expect(p.topology().processors[0]?.concurrency).toBe(1);
    // The four in flight finish; the retired processors then handle what
    // they were already sent (up to maxDemand each), one at a time each,
    // until only the remaining processor runs.
    for (let i = 0; i < 200; i++) {
      gate.release();
      await settle(10);
      if (gate.running() <= 1) break;
    }
    expect(gate.running()).toBe(1);
    gate.resetMost();
    for (let i = 0; i < 20; i++) {
      gate.release();
      await until(() => gate.running() === 1 || acks.successful().length === 300);
    }
    expect(gate.most()).toBe(1);
    gate.open();
    await until(() => acks.successful().length === 300);
    expect(sortedNumbers(acks.successful())).toEqual(range(300));
    expect(await p.stop()).toEqual({ unacked: 0, timedOut: false });
  });

  it('grows and shrinks a batcher: more batches at once, then fewer; every batch acked once', async () => {
    const acks = recordingAcknowledger();
    const source = listProducer(range(120), acks.acknowledger);
    const gate = gatedHandler();
    const p = pipeline({
      producer: { module: source.module },
      processors: { default: { concurrency: 2 } },
      batchers: { out: { concurrency: 1, batchSize: 2, batchTimeout: 10_000 } },
      handleMessage: (_k, m) => m.putBatcher('out'),
      handleBatch: async (_k, batch) => {
        await gate.handle(batch[0] as Message);
        return batch;
      },
    });
    await p.start();
    await until(() => gate.running() === 1);
    expect(p.resize('out', 3)).toMatchObject({ kind: 'batcher', from: 1, to: 3 });
    await until(() => gate.running() === 3);
    expect(p.topology().batchers[0]?.concurrency).toBe(3);
    p.resize('out', 1);
    expect(p.topology().batchers[0]?.concurrency).toBe(1);
    gate.release();
    await until(() => gate.running() === 1);
    gate.resetMost();
    for (let i = 0; i < 10; i++) {
      gate.release();
      await until(() => gate.running() === 1);
    }
    expect(gate.most()).toBe(1);
    gate.open();
    await until(() => acks.successful().length === 120);
    expect(sortedNumbers(acks.successful())).toEqual(range(120));
    expect(await p.stop()).toEqual({ unacked: 0, timedOut: false });
  });

  it('refuses a partitioned batcher, naming partitionBy', async () => {
    const p = pipeline({
      producer: { module: idle() },
      processors: { default: { concurrency: 2 } },
      batchers: { out: { concurrency: 2, partitionBy: (m) => Number(m.data) } },
      handleMessage: (_k, m) => m,
      handleBatch: (_k, b) => b,
    });
    await p.start();
    expect(() => p.resize('out', 3)).toThrow(
      /resize: test-\d+\.batcher\.out is partitioned \(batchers\.out\.partitionBy.*per-key order/,
    );
    expect(p.topology().batchers[0]?.concurrency).toBe(2);
  });

  it('rejects an unknown name, a bad concurrency and a pipeline that is not running', async () => {
    const p = pipeline({
      producer: { module: idle() },
      processors: { default: {} },
      handleMessage: (_k, m) => m,
    });
    expect(() => p.resize('default', 2)).toThrow(
      /resize: pipeline test-\d+ is created, not running/,
    );
    await p.start();
    expect(() => p.resize('nope', 2)).toThrow(
      /no processor or batcher named 'nope' in pipeline test-\d+; the stages are 'test-\d+\.processor\.default'/,
    );
    expect(() => p.resize('default', 0)).toThrow(/resize 'default': concurrency/);
    expect(() => p.resize('default', 1.5)).toThrow(/resize 'default': concurrency/);
    await p.stop();
    expect(() => p.resize('default', 2)).toThrow(
      expect.objectContaining({ code: 'ERR_PIPELINE_STATE' }) as Error,
    );
  });

  it('property: whatever resizes happen while messages flow, each message is acked exactly once', async () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('processor' as const), to: fc.integer({ min: 1, max: 6 }) }),
      fc.record({ kind: fc.constant('batcher' as const), to: fc.integer({ min: 1, max: 4 }) }),
      fc.record({ kind: fc.constant('wait' as const), to: fc.integer({ min: 0, max: 30 }) }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { minLength: 1, maxLength: 12 }),
        fc.boolean(),
        fc.boolean(),
        async (ops, useBatcher, stopEarly) => {
          const total = 250;
          const acks = recordingAcknowledger();
          const source = listProducer(range(total), acks.acknowledger);
          const p = pipeline({
            producer: { module: source.module },
            processors: { default: { concurrency: 2, maxDemand: 8 } },
            handleMessage: async (_k, m) => {
              if ((m.data as number) % 3 === 0) await Promise.resolve();
              return useBatcher ? m.putBatcher('out') : m;
            },
            ...(useBatcher && {
              batchers: { out: { concurrency: 2, batchSize: 5, batchTimeout: 10_000 } },
              handleBatch: async (_k: string, batch: Message[]) => {
                await new Promise((resolve) => setImmediate(resolve));
                return batch;
              },
            }),
          });
          await p.start();
          for (const o of ops) {
            if (o.kind === 'wait') await settle(o.to);
            else if (o.kind === 'processor') p.resize('default', o.to);
            else if (useBatcher) p.resize('out', o.to);
          }
          if (!stopEarly) await until(() => acks.successful().length === total);
          const report = await p.stop();
          expect(report).toEqual({ unacked: 0, timedOut: false });
          const acked = sortedNumbers(acks.successful());
          // Never twice; all of them unless stopped early (then what was emitted).
          expect(new Set(acked).size).toBe(acked.length);
          expect(acked).toEqual(range(stopEarly ? source.emitted() : total));
          expect(acks.failed()).toEqual([]);
        },
      ),
      { numRuns: 40 },
    );
  });
});
