/**
 * Property: whatever the messages, the failures and the moment stop() is
 * called, every message that entered the pipeline is acked exactly once,
 * with the right outcome, and none is lost.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Message } from '../../src/index.ts';
import { settle } from '../helpers.ts';
import { listProducer, pipeline, recordingAcknowledger } from './support.ts';

type Fate = 'ok' | 'fail' | 'throw' | 'async-ok' | 'async-throw';
type BatchFate = 'return-all' | 'drop-some' | 'throw';

interface Item {
  readonly id: number;
  readonly fate: Fate;
}

const fate = fc.constantFrom<Fate>('ok', 'fail', 'throw', 'async-ok', 'async-throw');

describe('pipeline properties', () => {
  it('acks every message exactly once, with the right outcome, wherever stop() lands', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fate, { maxLength: 200, size: 'max' }),
        fc.record({
          producers: fc.integer({ min: 1, max: 3 }),
          processors: fc.integer({ min: 1, max: 6 }),
          maxDemand: fc.integer({ min: 1, max: 20 }),
          batchers: fc.constantFrom(0, 1, 2),
          batchSize: fc.integer({ min: 1, max: 15 }),
          batchFate: fc.constantFrom<BatchFate>('return-all', 'drop-some', 'throw'),
          stopAfterTurns: fc.integer({ min: 0, max: 30 }),
        }),
        async (fates, shape) => {
          const items: Item[] = fates.map((f, id) => ({ id, fate: f }));
          const acks = recordingAcknowledger();
          const sources = Array.from({ length: shape.producers }, (_, i) =>
            listProducer(
              items.filter((it) => it.id % shape.producers === i),
              acks.acknowledger,
            ),
          );
          let next = 0;
          const batcherNames = ['a', 'b'].slice(0, shape.batchers);
          const p = pipeline({
            producer: {
              module: {
                // each producer instance gets its own share of the items
                init: (context) => sources[context.index]!.module.init(context),
              },
              concurrency: shape.producers,
            },
            processors: { default: { concurrency: shape.processors, maxDemand: shape.maxDemand } },
            ...(shape.batchers > 0 && {
              batchers: Object.fromEntries(
                batcherNames.map((n) => [n, { batchSize: shape.batchSize, batchTimeout: 60_000 }]),
              ),
            }),
            async handleMessage(_p, m) {
              const item = m.data as Item;
              if (item.fate.startsWith('async')) await Promise.resolve();
              if (item.fate.endsWith('throw')) throw new Error(`item ${item.id}`);
              if (item.fate === 'fail') return m.fail('declined');
              return batcherNames.length > 0
                ? m.putBatcher(batcherNames[next++ % batcherNames.length]!)
                : m;
            },
            handleBatch(_b, messages: Message[]) {
              if (shape.batchFate === 'throw' && messages.length % 2 === 0) {
                throw new Error('batch failed');
              }
              if (shape.batchFate === 'drop-some') return messages.filter((_m, i) => i % 3 !== 1);
              return messages;
            },
          });
          await p.start();
          await settle(shape.stopAfterTurns);
          const report = await p.stop();

          const emitted = new Set(
            sources
              .flatMap((s, i) =>
                items.filter((it) => it.id % shape.producers === i).slice(0, s.emitted()),
              )
              .map((it) => it.id),
          );
          const successful = acks.successful().map((d) => (d as Item).id);
          const failed = acks.failed().map((d) => (d as Item).id);
          const all = [...successful, ...failed];
          // exactly once: no duplicates, nothing missing, nothing invented
          expect(new Set(all).size).toBe(all.length);
          expect(new Set(all)).toEqual(emitted);
          expect(report).toEqual({ unacked: 0, timedOut: false });
          // the right outcome: handler failures are never acked as successful
          for (const id of successful) expect(items[id]!.fate).toMatch(/ok$/);
          for (const id of failed) {
            const f = items[id]!.fate;
            if (shape.batchers === 0 || shape.batchFate === 'return-all') {
              expect(f).not.toMatch(/ok$/);
            }
          }
        },
      ),
      { numRuns: Number(process.env['FC_RUNS'] ?? 100), timeout: 5000 },
    );
  });
});
