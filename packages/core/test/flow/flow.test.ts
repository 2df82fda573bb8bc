import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Flow } from '../../src/flow/index.ts';
import { producer } from '../../src/stage/index.ts';

const words = (text: string): string[] => text.split(/\s+/).filter((w) => w !== '');

function countWords(lines: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of lines) for (const w of words(line)) counts.set(w, (counts.get(w) ?? 0) + 1);
  return counts;
}

describe('Flow', () => {
  it('maps, filters, rejects and flat-maps per stage', async () => {
    const out = await Flow.fromIterable([1, 2, 3, 4, 5, 6])
      .map((n) => n * 10)
      .filter((n) => n > 10)
      .reject((n) => n === 40)
      .flatMap((n) => [n, n + 1])
      .toArray();
    expect(out).toEqual([20, 21, 30, 31, 50, 51, 60, 61]);
  });

  it('applies mapBatch to each batch a stage receives and each to every event', async () => {
    const seen: number[] = [];
    const out = await Flow.fromIterable([1, 2, 3])
      .each((n) => seen.push(n))
      .mapBatch((batch) => [batch.reduce((a, b) => a + b, 0)])
      .toArray();
    expect(seen).toEqual([1, 2, 3]);
    expect(out.reduce((a, b) => a + b, 0)).toBe(6);
  });

  it('counts words the same as a plain loop (the seed example)', async () => {
    const lines = Array.from(
      { length: 500 },
      (_, i) => `the quick ${i % 7} brown fox ${i % 13} jumps over the lazy dog ${i % 3}`,
    );
    const partials = await Flow.fromIterable(lines)
      .flatMap(words)
      .partition({ stages: 4 })
      .reduce(
        () => new Map<string, number>(),
        (word, acc) => acc.set(word, (acc.get(word) ?? 0) + 1),
      )
      .emit('state')
      .toArray();
    expect(partials).toHaveLength(4);
    const merged = new Map<string, number>();
    for (const partial of partials) {
      for (const [w, n] of partial) {
        // a word lives in exactly one partition
        expect(merged.has(w)).toBe(false);
        merged.set(w, n);
      }
    }
    expect(merged).toEqual(countWords(lines));
  });

  it('emits a reduced accumulator as events by default', async () => {
    const out = await Flow.fromIterable([3, 1, 2])
      .reduce(
        () => [] as number[],
        (n, acc) => [...acc, n * 2],
      )
      .toArray();
    expect(out.sort()).toEqual([2, 4, 6]);
  });

  it('partition + reduce equals a sequential reduce, whatever the stage count', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: -50, max: 50 }), { maxLength: 300 }),
        fc.integer({ min: 1, max: 6 }),
        async (xs, stages) => {
          const sums = await Flow.fromIterables([
            xs.slice(0, xs.length >> 1),
            xs.slice(xs.length >> 1),
          ])
            .partition({ stages, key: (x) => Math.abs(x) % 5 })
            .reduce(
              () => new Map<number, number>(),
              (x, acc) => acc.set(Math.abs(x) % 5, (acc.get(Math.abs(x) % 5) ?? 0) + x),
            )
            .emit('state')
            .toArray();
          const merged = new Map<number, number>();
          for (const m of sums) for (const [k, v] of m) merged.set(k, (merged.get(k) ?? 0) + v);
          const expected = new Map<number, number>();
          for (const x of xs) {
            expected.set(Math.abs(x) % 5, (expected.get(Math.abs(x) % 5) ?? 0) + x);
          }
          expect(merged).toEqual(expected);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('reads async iterables and existing producer stages', async () => {
    async function* gen() {
      for (let i = 0; i < 5; i++) yield i;
    }
    expect((await Flow.fromIterable(gen()).toArray()).sort()).toEqual([0, 1, 2, 3, 4]);
    let n = 0;
    const source = producer<number>({
      handleDemand(d, stage) {
        const out: number[] = [];
        while (out.length < d && n < 10) out.push(n++);
        if (n === 10) stage.infoAfterBuffered('done');
        return out;
      },
      handleInfo: (_m, stage) => void stage.stop('normal'),
    });
    expect(
      (
        await Flow.fromStages([source])
          .map((x) => x + 1)
          .toArray()
      ).sort((a, b) => a - b),
    ).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('stops with the cause when an operation throws', async () => {
    const flow = Flow.fromIterable([1, 2, 3]).map((n) => {
      if (n === 2) throw new Error('cannot map 2');
      return n;
    });
    await expect(flow.toArray()).rejects.toThrow('cannot map 2');
  });

  it('applies back-pressure: a slow consumer holds the source back', async () => {
    let pulled = 0;
    function* naturals() {
      for (let i = 0; ; i++) {
        pulled++;
        yield i;
      }
    }
    const stream = Flow.fromIterable(naturals())
      .map((x) => x)
      .toAsyncIterable();
    const it = stream[Symbol.asyncIterator]();
    await it.next();
    await new Promise((r) => setImmediate(r));
    expect(pulled).toBeLessThan(5000); // bounded by the layers' demand, not endless
    await it.return?.();
  });

  it('rejects bad options, naming them', () => {
    expect(() => Flow.fromIterable([1]).partition({ stages: 0 })).toThrow(
      'invalid Flow.partition options: stages: expected a positive integer, got 0',
    );
    expect(() => Flow.fromIterable([1]).emit('state')).toThrow('Flow.emit: call it after reduce');
  });
});

describe('Flow grouping and ordering', () => {
  it('uniqBy drops repeated keys within each stage', async () => {
    const out = await Flow.fromIterable(['a1', 'b1', 'a2', 'c1', 'b2'])
      .partition({ stages: 2, key: (s) => s[0] })
      .uniqBy((s) => s[0])
      .toArray();
    expect(out.sort()).toEqual(['a1', 'b1', 'c1']);
  });

  it('groupBy collects values by key per stage', async () => {
    const groups = await Flow.fromIterable([1, 2, 3, 4, 5, 6])
      .partition({ stages: 2, key: (n) => n % 2 })
      .groupBy(
        (n) => (n % 2 === 0 ? 'even' : 'odd'),
        (n) => n * 10,
      )
      .toArray();
    const merged = Object.fromEntries(groups.flatMap((g) => [...g]));
    expect(merged).toEqual({ even: [20, 40, 60], odd: [10, 30, 50] });
  });

  it('departition merges every partition into one result', async () => {
    const out = await Flow.fromIterable(Array.from({ length: 100 }, (_, i) => i))
      .partition({ stages: 4 })
      .reduce(
        () => 0,
        (n, sum) => sum + n,
      )
      .emit('state')
      .departition(
        () => 0,
        (partial: number, total) => total + partial,
        (total) => [total],
      )
      .toArray();
    expect(out).toEqual([4950]);
  });

  it('takeSort keeps the n smallest across partitions, in order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer(), { maxLength: 200 }),
        fc.integer({ min: 0, max: 20 }),
        async (xs, n) => {
          const top = await Flow.fromIterable(xs)
            .partition({ stages: 3 })
            .takeSort(n, (a, b) => a - b)
            .toArray();
          expect(top).toEqual([...xs].sort((a, b) => a - b).slice(0, n));
        },
      ),
      { numRuns: 60 },
    );
  });
});
