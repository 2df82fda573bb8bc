/**
 * pipeline.resize() of a partitioned processor group: every processor
 * finishes what it holds while new messages wait, then the partitions are
 * routed over the new count. Per-key order and exactly-once handling hold
 * whatever resizes happen.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { Message } from '../../src/index.ts';
import { PartitionDispatcher } from '../../src/stage/partition-dispatcher.ts';
import { deferred, settle, until } from '../helpers.ts';
import { listProducer, pipeline, range, recordingAcknowledger, stopAll } from './support.ts';

afterEach(stopAll);

/** Records, per key, the order messages were handled in, and flags a key handled twice at once. */
function keyLedger(keyOf: (data: number) => number) {
  const order = new Map<number, number[]>();
  const running = new Set<number>();
  const overlaps: string[] = [];
  return {
    order,
    overlaps,
    begin(data: number) {
      const key = keyOf(data);
      if (running.has(key)) overlaps.push(`key ${key} (message ${data})`);
      running.add(key);
    },
    end(data: number) {
      const key = keyOf(data);
      running.delete(key);
      const list = order.get(key);
      if (list === undefined) order.set(key, [data]);
      else list.push(data);
    },
    /** Keys whose messages were handled out of the order the source emitted them. */
    outOfOrder: () =>
      [...order].filter(([, list]) => list.some((d, i) => i > 0 && d < (list[i - 1] as number))),
  };
}

const sorted = (values: unknown[]) => [...(values as number[])].sort((a, b) => a - b);

describe('pipeline.resize() of a partitioned processor group', () => {
  it('waits for the processors to finish what they hold, then runs the new count; per-key order holds', async () => {
    const total = 120;
    const keys = 8;
    const acks = recordingAcknowledger();
    const source = listProducer(range(total), acks.acknowledger);
    const ledger = keyLedger((d) => d % keys);
    // Messages below `threshold` wait at `first`, the others at `second`.
    const first = deferred();
    const second = deferred();
    let threshold = Infinity;
    let waiting = 0;
    const p = pipeline({
      producer: { module: source.module },
      processors: {
        default: { concurrency: 2, maxDemand: 4, partitionBy: (m) => m.data as number },
      },
      handleMessage: async (_k, m: Message) => {
        const d = m.data as number;
        ledger.begin(d);
        waiting++;
        await (d < threshold ? first.promise : second.promise);
        waiting--;
        ledger.end(d);
        return m;
      },
    });
    await p.start();
    await until(() => waiting === 2);
    // A processor reads the resize after the chunk it handles, and may have
    // asked for one more chunk (maxDemand) by then: messages from here on
    // can only reach the new processors.
    threshold = source.emitted() + 2 * 4;
    const { applied, ...result } = p.resize('default', 4);
    expect(result).toMatchObject({ kind: 'processor', from: 2, to: 4 });
    expect(p.topology().processors[0]?.concurrency).toBe(4);
    let done = false;
    void applied.then(() => (done = true));
    await settle(50);
    // Both processors still hold work: the resize waits for them.
    expect(done).toBe(false);
    expect(waiting).toBe(2);
    first.resolve();
    await applied;
    // Four processors now, each with its own keys: four handlers wait at once.
    await until(() => waiting === 4);
    second.resolve();
    await until(() => acks.successful().length === total);
    expect(sorted(acks.successful())).toEqual(range(total));
    expect(ledger.outOfOrder()).toEqual([]);
    expect(ledger.overlaps).toEqual([]);
    expect(await p.stop()).toEqual({ unacked: 0, timedOut: false });
  });

  it('stop() during a resize under way handles and acks everything', async () => {
    const total = 60;
    const acks = recordingAcknowledger();
    const source = listProducer(range(total), acks.acknowledger);
    const gate = deferred();
    let waiting = 0;
    const p = pipeline({
      producer: { module: source.module },
      processors: { default: { concurrency: 3, maxDemand: 5, partitionBy: (m) => String(m.data) } },
      handleMessage: async (_k, m: Message) => {
        waiting++;
        await gate.promise;
        return m;
      },
    });
    await p.start();
    await until(() => waiting === 3);
    const { applied } = p.resize('default', 1);
    const stopped = p.stop();
    gate.resolve();
    await applied;
    expect(await stopped).toEqual({ unacked: 0, timedOut: false });
    const acked = sorted(acks.successful());
    expect(new Set(acked).size).toBe(acked.length);
    expect(acked).toEqual(range(source.emitted()));
  });

  it('property: whatever resizes happen while messages flow, per-key order holds and each message is handled and acked once', async () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('resize' as const),
        to: fc.integer({ min: 1, max: 6 }),
        await: fc.boolean(),
      }),
      fc.record({ kind: fc.constant('wait' as const), to: fc.integer({ min: 0, max: 30 }) }),
      fc.record({ kind: fc.constant('pause' as const), to: fc.integer({ min: 0, max: 10 }) }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { minLength: 1, maxLength: 10 }),
        fc.integer({ min: 1, max: 9 }),
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        async (ops, keys, stringKeys, useBatcher, stopEarly) => {
          const total = 200;
          const acks = recordingAcknowledger();
          const source = listProducer(range(total), acks.acknowledger);
          const ledger = keyLedger((d) => d % keys);
          const handled = new Map<number, number>();
          const p = pipeline({
            producer: { module: source.module },
            processors: {
              default: {
                concurrency: 2,
                maxDemand: 6,
                partitionBy: (m) => {
                  const key = (m.data as number) % keys;
                  return stringKeys ? `k${key}` : key;
                },
              },
            },
            handleMessage: async (_k, m: Message) => {
              const d = m.data as number;
              ledger.begin(d);
              for (let i = d % 4; i > 0; i--) await new Promise((r) => setImmediate(r));
              ledger.end(d);
              handled.set(d, (handled.get(d) ?? 0) + 1);
              return useBatcher ? m.putBatcher('out') : m;
            },
            ...(useBatcher && {
              batchers: { out: { concurrency: 2, batchSize: 5, batchTimeout: 10_000 } },
              handleBatch: async (_k: string, batch: Message[]) => {
                await new Promise((r) => setImmediate(r));
                return batch;
              },
            }),
          });
          await p.start();
          const applied: Promise<void>[] = [];
          let last = 2;
          for (const o of ops) {
            if (o.kind === 'wait') await settle(o.to);
            else if (o.kind === 'pause') {
              p.pause();
              await settle(o.to);
              p.resume();
            } else {
              const r = p.resize('default', o.to);
              expect(r.from).toBe(last);
              last = o.to;
              applied.push(r.applied);
              if (o.await) await r.applied;
            }
          }
          if (!stopEarly) {
            await Promise.all(applied);
            expect(p.topology().processors[0]?.concurrency).toBe(last);
            await until(() => acks.successful().length === total);
          }
          expect(await p.stop()).toEqual({ unacked: 0, timedOut: false });
          await Promise.all(applied);
          const acked = sorted(acks.successful());
          expect(new Set(acked).size).toBe(acked.length);
          expect(acked).toEqual(range(stopEarly ? source.emitted() : total));
          expect(acks.failed()).toEqual([]);
          expect([...handled].filter(([, n]) => n !== 1)).toEqual([]);
          expect(handled.size).toBe(acked.length);
          expect(ledger.outOfOrder()).toEqual([]);
          expect(ledger.overlaps).toEqual([]);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('PartitionDispatcher.repartition()', () => {
  const target = () => {
    const delivered: [unknown, number[]][] = [];
    return {
      delivered,
      deliver: (s: unknown, events: number[]) => void delivered.push([s, events]),
      discard: () => undefined,
      reask: () => undefined,
      info: () => undefined,
      warn: () => undefined,
    };
  };

  it('routes the queued events over the new count, each old queue in order', () => {
    const d = new PartitionDispatcher<number, string>({ partitions: 2, hash: (e) => e % 2 });
    const t = target();
    d.subscribe('a', { partition: 0 });
    d.subscribe('b', { partition: 1 });
    // Demand for 8 from a consumer that then cancels: everything queues.
    expect(d.ask('a', 8, t)).toBe(8);
    d.cancel('a');
    expect(d.dispatch([0, 1, 2, 3, 4, 5, 6, 7], t)).toEqual([]);
    expect(() => d.repartition(3, (e) => e % 3)).toThrow(
      /1 consumers are still subscribed; every consumer must cancel first/,
    );
    d.cancel('b');
    expect(() => d.repartition(3, () => 7)).toThrow(/the hash returned 7 for a queued event/);
    expect(() => d.repartition(0)).toThrow(/partitions: expected a positive integer, got 0/);
    d.repartition(3, (e) => e % 3);
    expect(d.partitions).toEqual([0, 1, 2]);
    d.subscribe('x', { partition: 0 });
    d.subscribe('y', { partition: 1 });
    d.subscribe('z', { partition: 2 });
    for (const s of ['x', 'y', 'z']) d.ask(s, 10, t);
    expect(t.delivered).toEqual([
      ['x', [0, 6, 3]],
      ['y', [4, 1, 7]],
      ['z', [2, 5]],
    ]);
  });
});
