/**
 * Elixir Flow's test/flow_test.exs, part 2: partitions and merges
 * ("enumerable-partitioned-stream", "partition/2", "merge/3 through
 * partition", "merge/3 through shuffle").
 *
 * Which partition a key lands in depends on the hash: the expected
 * partitions are computed with Sluice's documented default hash
 * (partitionOf) the way the original's were with Erlang's phash2.
 *
 * Skipped (OTP mechanics or APIs Sluice does not have), in
 * "enumerable-partitioned-stream": "start_link/2", "start_link/2 with
 * :name", "into_stages/3 with :name", "into_specs/3", "into_specs/3 with
 * :name", "through_specs/3", "through_specs/3 + into_specs/3" (Flow.start_link,
 * process names, child specs); "through_stages/3", "through_stages/3 +
 * into_stages/3" (Sluice has no throughStages).
 */
import { describe, expect, it } from 'vitest';
import { Flow, Window } from '../../src/flow/index.ts';
import { consumer } from '../../src/stage/index.ts';
import { until } from '../helpers.ts';
import { partitionOf, range, sorted, sum } from './flow-helpers.ts';

// docs/flow.md: "The default hash is Sluice's own, not Erlang's `phash2`: the same keys meet in one partition, but not in the partition Flow would pick"

/** Groups `events` by the partition of `key(event)` over `stages`; empty partitions included. */
function byPartition<T>(events: readonly T[], stages: number, key = (e: T): unknown => e): T[][] {
  const parts: T[][] = Array.from({ length: stages }, () => []);
  for (const e of events) (parts[partitionOf(key(e), stages)] as T[]).push(e);
  return parts;
}

const sources = [[1, 2, 3], [4, 5, 6], range(7, 10)];

describe('enumerable-partitioned-stream', () => {
  const flow = () => Flow.fromIterables(sources, { stages: 4 }).partition({ stages: 4 });
  const groups = byPartition(range(1, 10), 4);

  // flow_test.exs: "only sources"
  it('only sources', async () => {
    expect(sorted(await flow().toArray())).toEqual(range(1, 10));
    const out = await flow()
      .reduce(
        () => [] as number[],
        (x, acc) => [x, ...acc],
      )
      .onTrigger((acc) => ({ events: [acc], acc }))
      .toArray();
    expect(sorted(out.map((g) => sorted(g)))).toEqual(sorted(groups));
  });

  // flow_test.exs: "raises locally"
  it('raises locally', async () => {
    const failing = flow().map(() => {
      throw new Error('oops');
    });
    await expect(failing.toArray()).rejects.toThrow('oops');
  });

  // flow_test.exs: "filter/2"
  it('filter/2', async () => {
    expect(
      sorted(
        await flow()
          .filter((x) => x % 2 === 0)
          .toArray(),
      ),
    ).toEqual([2, 4, 6, 8, 10]);
  });

  // flow_test.exs: "flat_map/2"
  it('flat_map/2', async () => {
    expect(
      sorted(
        await flow()
          .flatMap((x) => [x, x])
          .toArray(),
      ),
    ).toEqual(range(1, 10).flatMap((x) => [x, x]));
  });

  // flow_test.exs: "map/2"
  it('map/2', async () => {
    expect(
      sorted(
        await flow()
          .map((x) => x * 2)
          .toArray(),
      ),
    ).toEqual(range(1, 10).map((x) => x * 2));
  });

  // flow_test.exs: "map_batch/2"
  it('map_batch/2', async () => {
    // Each source's chunk reaches each partition as one batch.
    const expected = sources
      .flatMap((source) => byPartition(source, 4))
      .filter((batch) => batch.length > 0)
      .map(sum);
    expect(
      sorted(
        await flow()
          .mapBatch((list) => [sum(list)])
          .toArray(),
      ),
    ).toEqual(sorted(expected));
  });

  // flow_test.exs: "reject/2"
  it('reject/2', async () => {
    expect(
      sorted(
        await flow()
          .reject((x) => x % 2 === 0)
          .toArray(),
      ),
    ).toEqual([1, 3, 5, 7, 9]);
  });

  // flow_test.exs: "reduce/3"
  it('reduce/3', async () => {
    const sums = flow()
      .reduce(
        () => 0,
        (x, acc) => x + acc,
      )
      .onTrigger((acc) => ({ events: [acc], acc }));
    expect(sorted(await sums.toArray())).toEqual(sorted(groups.map(sum)));
    const odd = flow()
      .reject((x) => x % 2 === 0)
      .reduce(
        () => 0,
        (x, acc) => x + acc,
      )
      .onTrigger((acc) => ({ events: [acc], acc }));
    expect(sorted(await odd.toArray())).toEqual(
      sorted(groups.map((g) => sum(g.filter((x) => x % 2 !== 0)))),
    );
  });

  // flow_test.exs: "emit_and_reduce/3"
  it('emit_and_reduce/3', async () => {
    const out = await flow()
      .emitAndReduce(
        () => 0,
        (x, acc) => ({ events: [x], acc: x + acc }),
      )
      .onTrigger((acc: number) => ({ events: [acc], acc }))
      .toArray();
    expect(sum(out)).toBe(110);
  });

  // flow_test.exs: "uniq_by/2"
  it('uniq_by/2', async () => {
    // One event per parity per partition: each partition holds the parities of its keys.
    const expected = sum(groups.map((g) => new Set(g.map((x) => x % 2)).size));
    expect(
      await flow()
        .uniqBy((x) => x % 2)
        .toArray(),
    ).toHaveLength(expected);
  });

  // flow_test.exs: "keeps ordering"
  it('keeps ordering', async () => {
    const out = await flow()
      .filter((x) => x % 2 === 0)
      .map((x) => x + 1)
      .map((x) => x * 2)
      .toArray();
    expect(sorted(out)).toEqual([6, 10, 14, 18, 22]);
  });

  // flow_test.exs: "into_stages/3"
  it('into_stages/3', async () => {
    const consumed: number[][] = [];
    const forwarder = consumer<number>({
      handleEvents(events) {
        consumed.push(events);
      },
    });
    flow()
      .filter((x) => x % 2 === 0)
      .intoStages([forwarder]);
    await until(() => consumed.flat().length === 5);
    expect(sorted(consumed)).toEqual([[10], [2], [4], [6], [8]]);
  });
});

describe('partition/2', () => {
  // flow_test.exs: "allows custom partitioning"
  it('allows custom partitioning', async () => {
    const out = await Flow.fromIterables(sources)
      .partition({ hash: () => 0, stages: 4 })
      .reduce(
        () => [] as number[],
        (x, acc) => [x, ...acc],
      )
      .onTrigger((acc) => ({ events: [sorted(acc)], acc }))
      .toArray();
    expect(sorted(out)).toEqual(sorted([[], [], [], range(1, 10)]));
  });

  const pairs: [number, number][][] = [
    [
      [1, 1],
      [2, 2],
      [3, 3],
    ],
    [
      [1, 4],
      [2, 5],
      [3, 6],
    ],
  ];
  const records = pairs.map((list) => list.map(([key, value]) => ({ key, value })));
  const expectedByKey = sorted(
    byPartition([1, 2, 3], 2)
      .map((keys) =>
        sorted(
          records
            .flat()
            .filter((r) => keys.includes(r.key))
            .map((r) => r.value),
        ),
      )
      .filter((values) => values.length > 0),
  );

  // flow_test.exs: "allows element based partitioning"
  it('allows element based partitioning', async () => {
    const out = await Flow.fromIterables(pairs)
      .partition({ key: (e) => e[0], stages: 2 })
      .reduce(
        () => [] as number[][],
        (x, acc) => [x, ...acc],
      )
      .onTrigger((acc) => ({ events: [sorted(acc.map((e) => e[1] as number))], acc }))
      .toArray();
    expect(sorted(out.filter((g) => g.length > 0))).toEqual(expectedByKey);
  });

  for (const name of [
    'allows key based partitioning',
    'allows function based partitioning',
    'allows function based partitioning after shuffling',
  ]) {
    // flow_test.exs: "allows key based partitioning" / "allows function based partitioning" / "... after shuffling"
    it(name, async () => {
      let flow = Flow.fromIterables(records);
      if (name.endsWith('shuffling')) flow = flow.shuffle({ stages: 2 });
      const out = await flow
        .partition({ key: (r) => r.key, stages: 2 })
        .reduce(
          () => [] as { value: number }[],
          (x, acc) => [x, ...acc],
        )
        .onTrigger((acc) => ({ events: [sorted(acc.map((r) => r.value))], acc }))
        .toArray();
      expect(sorted(out.filter((g) => g.length > 0))).toEqual(expectedByKey);
    });
  }

  // flow_test.exs: "allows custom windowing"
  it('allows custom windowing', async () => {
    const window = Window.fixed(1000, (x: number) => (x <= 50 ? 0 : 1000));
    const out = await Flow.fromIterable(range(1, 100))
      .partition({ window, stages: 4 })
      .reduce(
        () => [] as number[],
        (x, acc) => [x, ...acc],
      )
      .onTrigger((acc) => ({ events: [sum(acc)], acc }))
      .toArray();
    const expected = byPartition(range(1, 100), 4).flatMap((g) => [
      sum(g.filter((x) => x <= 50)),
      sum(g.filter((x) => x > 50)),
    ]);
    expect(sorted(out)).toEqual(sorted(expected));
  });
});

/** The original's two flows: the odd numbers of 1..100 doubled, and the even ones. */
const twoFlows = () => [
  Flow.fromIterable(range(1, 100).filter((x) => x % 2 === 1)).map((x) => x * 2),
  Flow.fromIterable(range(2, 100).filter((x) => x % 2 === 0)).map((x) => x * 2),
];
const window200 = () => Window.fixed(1000, (x: number) => (x <= 100 ? 0 : 1000));

describe('merge/3 through partition', () => {
  // flow_test.exs: "merges different flows together"
  it('merges different flows together', async () => {
    const out = await Flow.merge(twoFlows(), { stages: 4, minDemand: 5 })
      .reduce(
        () => 0,
        (x, acc) => x + acc,
      )
      .onTrigger((acc) => ({ events: [acc], acc }))
      .toArray();
    expect(sum(out)).toBe(10100);
  });

  // flow_test.exs: "allows custom partitioning"
  it('allows custom partitioning', async () => {
    const out = await Flow.merge(twoFlows(), { stages: 4, minDemand: 5, hash: () => 0 })
      .reduce(
        () => [] as number[],
        (x, acc) => [x, ...acc],
      )
      .onTrigger((acc) => ({ events: [sum(acc)], acc }))
      .toArray();
    expect(sorted(out)).toEqual([0, 0, 0, 10100]);
  });

  // flow_test.exs: "allows custom windowing"
  it('allows custom windowing', async () => {
    const out = await Flow.merge(twoFlows(), { window: window200(), stages: 4, minDemand: 5 })
      .reduce(
        () => [] as number[],
        (x, acc) => [x, ...acc],
      )
      .onTrigger((acc) => ({ events: [sum(acc)], acc }))
      .toArray();
    // A partition that got no event opens no fixed window.
    const parts = byPartition(
      range(1, 100).map((x) => x * 2),
      4,
    ).filter((g) => g.length > 0);
    const expected = parts.flatMap((g) => [
      sum(g.filter((x) => x <= 100)),
      sum(g.filter((x) => x > 100)),
    ]);
    expect(sorted(out)).toEqual(sorted(expected));
  });
});

describe('merge/3 through shuffle', () => {
  // flow_test.exs: "merges different flows together"
  it('merges different flows together', async () => {
    const out = await Flow.merge(twoFlows(), { mode: 'shuffle', stages: 1 })
      .reduce(
        () => 0,
        (x, acc) => x + acc,
      )
      .onTrigger((acc) => ({ events: [acc], acc }))
      .toArray();
    expect(sum(out)).toBe(10100);
  });

  // flow_test.exs: "allows custom windowing"
  it('allows custom windowing', async () => {
    const out = await Flow.merge(twoFlows(), { mode: 'shuffle', window: window200(), stages: 1 })
      .reduce(
        () => [] as number[],
        (x, acc) => [x, ...acc],
      )
      .onTrigger((acc) => ({ events: [sum(acc)], acc }))
      .toArray();
    expect(sorted(out)).toEqual([2550, 7550]);
  });
});
