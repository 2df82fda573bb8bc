/**
 * Elixir Flow's test/flow_test.exs, part 3: reducing across partitions
 * ("take_sort/3", "departition/2", "bounded_join/7") and the "errors" that
 * Sluice deliberately turns into new layers.
 *
 * Skipped:
 * - "departition/2": "with start_link/1": Flow.start_link and process messages.
 * - "bounded_join/7": "outer joins two flows with windows": it calls
 *   Flow.window_join, which Sluice does not have (only bounded joins).
 */
import { describe, expect, it } from 'vitest';
import { Flow, Window } from '../../src/flow/index.ts';
import { partitionOf, range, sorted, sum } from './flow-helpers.ts';

const random = (n: number) =>
  Array.from({ length: n }, () => 1 + Math.floor(Math.random() * 10000));
const add = (x: number, acc: number): number => x + acc;

describe('errors Sluice turns into layers', () => {
  // docs/flow.md: "Flow refuses a second `reduce`, `mapBatch` after other operations, and `map` after `emit`; Sluice starts a new layer of the same shape instead"

  // flow_test.exs: "on multiple reduce calls"
  it('on multiple reduce calls', async () => {
    const out = await Flow.fromIterable([1, 2, 3])
      .reduce(() => 0, add)
      .emit('state')
      .reduce(() => 0, add)
      .emit('state')
      .toArray();
    expect(out).toEqual([6]);
  });

  // flow_test.exs: "on map_batch/2"
  it('on map_batch/2', async () => {
    const afterReduce = Flow.fromIterable([1, 2, 3])
      .reduce(() => 0, add)
      .emit('state')
      .mapBatch((batch) => batch);
    expect(await afterReduce.toArray()).toEqual([6]);
    const afterMap = Flow.fromIterable([1, 2, 3])
      .map((x) => x)
      .mapBatch((batch) => batch);
    expect(await afterMap.toArray()).toEqual([1, 2, 3]);
  });

  // flow_test.exs: "on mapper after emit/1"
  it('on mapper after emit/1', async () => {
    const out = await Flow.fromIterable([1, 2, 3])
      .reduce(() => 0, add)
      .emit('state')
      .map((x) => x)
      .toArray();
    expect(out).toEqual([6]);
  });
});

describe('take_sort/3', () => {
  // docs/flow.md: "`takeSort` emits the `n` events in order, where Flow emits one list"
  const lists = () => [random(1000), random(1000), random(1000), random(1000)];

  // flow_test.exs: "is equivalent to Enum.sort/3 ascending on the whole collection"
  it('is equivalent to Enum.sort/3 ascending on the whole collection', async () => {
    const ls = lists();
    const out = await Flow.fromIterables(ls)
      .partition()
      // reduce's accumulator is emitted as events (numbers), which its type does not say
      .reduce(
        () => [] as number[],
        (x, acc) => [x, ...acc],
      )
      .map((x) => x as unknown as number)
      .takeSort(100, (a, b) => a - b)
      .toArray();
    expect(out).toEqual(sorted(ls.flat()).slice(0, 100));
  });

  // flow_test.exs: "is equivalent to Enum.sort/3 descending on the whole collection"
  it('is equivalent to Enum.sort/3 descending on the whole collection', async () => {
    const ls = lists();
    const out = await Flow.fromIterables(ls)
      .partition()
      // reduce's accumulator is emitted as events (numbers), which its type does not say
      .reduce(
        () => [] as number[],
        (x, acc) => [x, ...acc],
      )
      .map((x) => x as unknown as number)
      .takeSort(100, (a, b) => b - a)
      .toArray();
    expect(out).toEqual(sorted(ls.flat()).reverse().slice(0, 100));
  });
});

describe('departition/2', () => {
  // docs/flow.md: "`done` returns the events to emit (Flow's `done_fun` returns one event: wrap it in an array)"
  const partitionSums = sorted(
    Array.from({ length: 4 }, (_, p) => sum(range(1, 10).filter((x) => partitionOf(x, 4) === p))),
  );

  // flow_test.exs: "joins partitioned data"
  it('joins partitioned data', async () => {
    const out = await Flow.fromIterable(range(1, 10))
      .partition({ stages: 4 })
      .reduce(() => 0, add)
      .departition(
        () => [] as number[],
        (x, acc) => [x, ...acc],
        (acc) => [sorted(acc)],
      )
      .toArray();
    expect(out[0]).toEqual(partitionSums);
  });

  // flow_test.exs: "joins partitioned data with window info"
  it('joins partitioned data with window info', async () => {
    const out = await Flow.fromIterable(range(1, 10))
      .partition({ stages: 4 })
      .reduce(() => 0, add)
      .departition(
        () => [] as number[],
        (x, acc) => [x, ...acc],
        (acc, window) => [[window, sorted(acc)] as const],
      )
      .toArray();
    // docs/flow.md: "the global window's key is 0 (Flow's `:global`)"
    expect(out[0]).toEqual([0, partitionSums]);
  });

  // flow_test.exs: "joins uneven partitioned data"
  it('joins uneven partitioned data', async () => {
    const out = await Flow.fromIterable(range(1, 10))
      .partition({ stages: 2, window: Window.count(3), hash: (x) => (x === 0 ? 0 : 1) })
      .reduce(() => 0, add)
      .departition(
        () => [] as number[],
        (x, acc) => [x, ...acc],
        (acc) => [sorted(acc)],
      )
      .toArray();
    expect(out).toEqual([[0, 6], [15], [24], [10]]);
  });

  // flow_test.exs: "joins partitioned data with triggers"
  it('joins partitioned data with triggers', async () => {
    const out = await Flow.fromIterable(range(1, 10))
      .partition({ stages: 4, window: Window.global().triggerEvery(2) })
      .reduce(() => 0, add)
      .departition(
        () => [] as number[],
        (x, acc) => [x, ...acc],
        (acc) => [sorted(acc)],
      )
      .toArray();
    // Each partition sends its running sum every 2 events, then its total.
    const expected = Array.from({ length: 4 }, (_, p) => {
      const xs = range(1, 10).filter((x) => partitionOf(x, 4) === p);
      const running = xs.map((_, i) => sum(xs.slice(0, i + 1)));
      return [...running.filter((_, i) => (i + 1) % 2 === 0), sum(xs)];
    }).flat();
    expect(out[0]).toEqual(sorted(expected));
  });

  // flow_test.exs: "joins partitioned data with map operations"
  it('joins partitioned data with map operations', async () => {
    const out = await Flow.fromIterable(range(1, 10))
      .partition({ stages: 4 })
      .reduce(() => 0, add)
      .departition(
        () => [] as number[],
        (x, acc) => [x, ...acc],
        (acc) => [acc],
      )
      .map((list) => sorted(list))
      .toArray();
    expect(out[0]).toEqual(partitionSums);
  });

  // flow_test.exs: "joins partitioned data with reduce operations"
  it('joins partitioned data with reduce operations', async () => {
    const out = await Flow.fromIterable(range(1, 10))
      .partition({ stages: 4, window: Window.global().triggerEvery(2) })
      .reduce(() => 0, add)
      .onTrigger((acc) => ({ events: [acc], acc: 0 }))
      .departition(
        () => [] as number[],
        (x, acc) => [x, ...acc],
        (acc) => [sorted(acc)],
      )
      .reduce(
        () => 0,
        (list, acc) => sum(list) + acc,
      )
      .onTrigger((acc) => ({ events: [acc], acc: 0 }))
      .toArray();
    expect(out[0]).toBe(55);
  });
});

describe('bounded_join/7', () => {
  const left = () => Flow.fromIterable([0, 1, 2, 3]);
  const right = () => Flow.fromIterable([4, 5, 6, 7, 8]);
  const pair = (l: number | undefined, r: number | undefined) => [l ?? null, r ?? null];
  const join = (mode: 'inner' | 'left' | 'right' | 'full', shift: number) =>
    Flow.boundedJoin(
      mode,
      left(),
      right(),
      (x) => x,
      (x) => x - shift,
      pair,
    ).toArray();
  const bySide = (xs: (number | null)[][]) =>
    [...xs].sort((a, b) => (a[0] ?? 99) - (b[0] ?? 99) || (a[1] ?? 99) - (b[1] ?? 99));

  // Flow's :left_outer, :right_outer and :full_outer are 'left', 'right' and 'full'; nil is null here.
  for (const [name, mode, shift, expected] of [
    [
      'inner joins two matching flows',
      'inner',
      3,
      [
        [1, 4],
        [2, 5],
        [3, 6],
      ],
    ],
    ['inner joins two unmatching flows', 'inner', 0, []],
    [
      'left joins two matching flows',
      'left',
      3,
      [
        [0, null],
        [1, 4],
        [2, 5],
        [3, 6],
      ],
    ],
    [
      'left joins two unmatching flows',
      'left',
      0,
      [
        [0, null],
        [1, null],
        [2, null],
        [3, null],
      ],
    ],
    [
      'right joins two matching flows',
      'right',
      3,
      [
        [1, 4],
        [2, 5],
        [3, 6],
        [null, 7],
        [null, 8],
      ],
    ],
    [
      'right joins two unmatching flows',
      'right',
      0,
      [
        [null, 4],
        [null, 5],
        [null, 6],
        [null, 7],
        [null, 8],
      ],
    ],
    [
      'outer joins two matching flows',
      'full',
      3,
      [
        [0, null],
        [1, 4],
        [2, 5],
        [3, 6],
        [null, 7],
        [null, 8],
      ],
    ],
    [
      'outer joins two unmatching flows',
      'full',
      0,
      [
        [0, null],
        [1, null],
        [2, null],
        [3, null],
        [null, 4],
        [null, 5],
        [null, 6],
        [null, 7],
        [null, 8],
      ],
    ],
  ] as const) {
    // flow_test.exs: the eight "… joins two matching / unmatching flows" tests, one per row
    it(name, async () => {
      expect(bySide(await join(mode, shift))).toEqual(bySide(expected.map((p) => [...p])));
    });
  }

  // flow_test.exs: "joins two flows followed by mapper operation"
  it('joins two flows followed by mapper operation', async () => {
    const out = await Flow.boundedJoin(
      'inner',
      left(),
      Flow.fromIterable([4, 5, 6]),
      (x) => x,
      (x) => x - 3,
      (k, v): [number, number] => [k as number, v as number],
    )
      .map(([k, v]) => k + v)
      .toArray();
    expect(sorted(out)).toEqual([5, 7, 9]);
  });

  // flow_test.exs: "joins two flows followed by reduce"
  it('joins two flows followed by reduce', async () => {
    const out = await Flow.boundedJoin(
      'inner',
      left(),
      Flow.fromIterable([4, 5, 6]),
      (x) => x,
      (x) => x - 3,
      (k, v): [number, number] => [k as number, v as number],
      { stages: 2 },
    )
      .reduce(
        () => 0,
        ([k, v], acc) => k + v + acc,
      )
      .onTrigger((acc) => ({ events: [acc], acc }))
      .toArray();
    // Each join stage sums the pairs of the keys it owns (1, 2 and 3).
    const expected = [0, 1].map((p) =>
      sum([1, 2, 3].filter((k) => partitionOf(k, 2) === p).map((k) => 2 * k + 3)),
    );
    expect(sorted(out)).toEqual(sorted(expected));
  });

  // flow_test.exs: "joins mapper and reducer flows"
  it('joins mapper and reducer flows', async () => {
    const out = await Flow.boundedJoin(
      'inner',
      Flow.fromIterable(range(0, 9)).partition(),
      Flow.fromIterable(range(0, 9)).map((x) => x + 10),
      (x) => x,
      (x) => x - 10,
      (k, v): [number, number] => [k as number, v as number],
      { stages: 2 },
    )
      .reduce(
        () => 0,
        ([k, v], acc) => k + v + acc,
      )
      .onTrigger((acc) => ({ events: [acc], acc }))
      .toArray();
    const expected = [0, 1].map((p) =>
      sum(
        range(0, 9)
          .filter((k) => partitionOf(k, 2) === p)
          .map((k) => 2 * k + 10),
      ),
    );
    expect(sorted(out)).toEqual(sorted(expected));
  });
});
