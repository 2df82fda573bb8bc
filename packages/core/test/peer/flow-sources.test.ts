/**
 * Elixir Flow's test/flow_test.exs, part 1: sources, per-event operations,
 * errors and stopping ("errors", "run/1", "enumerable-stream",
 * "enumerable-unpartioned-stream", "stages-unpartioned-stream").
 *
 * Skipped (OTP or Elixir mechanics, or APIs Sluice does not have):
 * - "on use defines a child_spec/2 function", "child_spec/2": supervisors.
 * - "errors": "on multiple reduce calls", "on map_batch/2", "on mapper
 *   after emit/1" are asserted in flow-reduce.test.ts as Sluice's
 *   documented difference; "on error in producer started via start_link":
 *   Flow.start_link.
 * - "run/1": "does not leave lingering messages nor monitors" and
 *   "terminates flow if parent process terminates": process mailboxes,
 *   monitors and links.
 * - "start_link/2", "start_link/2 with :name", "start_link/2 with merged
 *   flow", "into_stages/3 with :name", "into_specs/3", "into_specs/3 with
 *   :name", "through_specs/3", "through_specs/3 + into_specs/3" (in each
 *   describe): Flow.start_link, process names and child specs.
 * - "through_stages/3", "through_stages/3 + into_stages/3" (in each
 *   describe): Sluice has no throughStages; end a flow with intoStages and
 *   start the next with fromStages.
 * - "specs-unpartioned-stream" and "specs-ignored": Flow.from_specs starts
 *   producers from child specs; Sluice takes started stages (fromStages).
 * - "coordinator" (all seven): the coordinator process, sync_subscribe,
 *   subscription timeouts, child-spec restart strategies, `demand: :accumulate`.
 * - "mapper_reducer": "triggers on_init callback once for each stage":
 *   Sluice has no on_init stage option; per-stage state lives in closures.
 */
import { describe, expect, it } from 'vitest';
import { Flow, Window } from '../../src/flow/index.ts';
import { consumer } from '../../src/stage/index.ts';
import { until } from '../helpers.ts';
import { counter, range, sorted, sum, take } from './flow-helpers.ts';

function* cycle(values: readonly number[], closed: { done: boolean }) {
  try {
    for (;;) yield* values;
  } finally {
    closed.done = true;
  }
}

/** A fixed window by the event itself, as the original's `Flow.Window.fixed(1, :second, & &1)`. */
const Window1s = () => Window.fixed(1000, (x: number) => x);

function* raising(): Generator<string> {
  yield 'start';
  throw new Error('oops');
}

describe('errors', () => {
  // flow_test.exs: "on_trigger/2 without reduce"
  it('on_trigger/2 without reduce', () => {
    expect(() => Flow.fromIterable([1, 2, 3]).onTrigger((x) => [x])).toThrow(
      'Flow.onTrigger: call it after reduce',
    );
  });

  // flow_test.exs: "on window without computation"
  it('on window without computation', async () => {
    const flow = Flow.fromIterable([1, 2, 3], { window: Window1s() });
    await expect(flow.toArray()).rejects.toThrow('needs a reduce');
  });

  // flow_test.exs: "on error in producer started via run"
  it('on error in producer started via run', async () => {
    await expect(Flow.fromIterable(raising(), { stages: 1, maxDemand: 1 }).run()).rejects.toThrow(
      'oops',
    );
  });

  // flow_test.exs: "on error in producer started via non-linked stream"
  it('on error in producer started via non-linked stream', async () => {
    const read = async () => {
      for await (const _ of Flow.fromIterable(raising(), { maxDemand: 1 }).toAsyncIterable()) {
        void _;
      }
    };
    await expect(read()).rejects.toThrow('oops');
  });
});

for (const [describeName, stages] of [
  ['enumerable-stream', 2],
  ['enumerable-unpartioned-stream', 4],
] as const) {
  describe(describeName, () => {
    const flow = () =>
      Flow.fromIterables(
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
        { stages },
      );

    // flow_test.exs: "only sources"
    it('only sources', async () => {
      expect(sorted(await flow().toArray())).toEqual([1, 2, 3, 4, 5, 6]);
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
      ).toEqual([2, 4, 6]);
    });

    // flow_test.exs: "flat_map/2"
    it('flat_map/2', async () => {
      expect(
        sorted(
          await flow()
            .flatMap((x) => [x, x])
            .toArray(),
        ),
      ).toEqual([1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6]);
    });

    // flow_test.exs: "map_batch/2"
    it('map_batch/2', async () => {
      const summed = flow().mapBatch(([x, y, z]) => [(x ?? 0) + (y ?? 0) + (z ?? 0)]);
      expect(sorted(await summed.toArray())).toEqual([6, 15]);
      if (stages === 2) {
        expect(sorted(await summed.map((x) => x * 2).toArray())).toEqual([12, 30]);
      }
    });

    // flow_test.exs: "map/2"
    it('map/2', async () => {
      expect(
        sorted(
          await flow()
            .map((x) => x * 2)
            .toArray(),
        ),
      ).toEqual([2, 4, 6, 8, 10, 12]);
    });

    // flow_test.exs: "reject/2"
    it('reject/2', async () => {
      expect(
        sorted(
          await flow()
            .reject((x) => x % 2 === 0)
            .toArray(),
        ),
      ).toEqual([1, 3, 5]);
    });

    // flow_test.exs: "uniq_by/2"
    it('uniq_by/2', async () => {
      expect(
        await flow()
          .uniqBy((x) => x % 2)
          .toArray(),
      ).toHaveLength(2);
    });

    // flow_test.exs: "keeps ordering"
    it('keeps ordering', async () => {
      const out = await flow()
        .filter((x) => x % 2 === 0)
        .map((x) => x + 1)
        .map((x) => x * 2)
        .toArray();
      expect(sorted(out)).toEqual([6, 10, 14]);
    });

    // flow_test.exs: "reduce/3"
    it('reduce/3', async () => {
      const out = await flow()
        .reduce(
          () => 0,
          (x, acc) => x + acc,
        )
        .onTrigger((acc) => ({ events: [acc], acc }))
        .toArray();
      expect(sum(out)).toBe(21);
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
      expect(sum(out)).toBe(42);
    });

    if (stages === 2) {
      // flow_test.exs: "flat_map/2 + emit_and_reduce/3"
      it('flat_map/2 + emit_and_reduce/3', async () => {
        const out = await flow()
          .flatMap((x) => [x, x])
          .emitAndReduce(
            () => 0,
            (x, acc) => ({ events: [x], acc: x + acc }),
          )
          .onTrigger((acc: number) => ({ events: [acc], acc }))
          .toArray();
        expect(sum(out)).toBe(84);
      });

      // flow_test.exs: "on halt without intermediary"
      it('on halt without intermediary', async () => {
        const closed = { done: false };
        expect(await take(Flow.fromIterable(cycle([1, 2, 3], closed)), 10)).toHaveLength(10);
        await until(() => closed.done);
      });

      // flow_test.exs: "on halt with intermediary"
      it('on halt with intermediary', async () => {
        const closed = { done: false };
        const flow = Flow.fromIterable(cycle([1, 2, 3], closed)).map((x) => x);
        expect(await take(flow, 10)).toHaveLength(10);
        await until(() => closed.done);
      });
    } else {
      // flow_test.exs: "allows custom windowing"
      it('allows custom windowing', async () => {
        const window = Window.fixed(1000, (x: number) => (x <= 50 ? 0 : 1000));
        const windows = await Flow.fromIterable(range(1, 100), { window, stages: 4, maxDemand: 5 })
          .reduce(
            () => 0,
            (n, acc) => n + acc,
          )
          .onTrigger((acc) => ({ events: [acc], acc }))
          .toArray();
        expect(windows).toHaveLength(8);
        expect(sum(windows)).toBe(5050);
      });
    }

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
      await until(() => consumed.flat().length === 3);
      expect(sorted(consumed)).toEqual([[2], [4, 6]]);
    });
  });
}

describe('stages-unpartioned-stream', () => {
  const flow = () => Flow.fromStages([counter(0)], { stages: 1 });

  // flow_test.exs: "only sources"
  it('only sources', async () => {
    expect(sorted(await take(flow(), 5))).toEqual([0, 1, 2, 3, 4]);
  });

  // flow_test.exs: "filter/2"
  it('filter/2', async () => {
    expect(
      sorted(
        await take(
          flow().filter((x) => x % 2 === 0),
          5,
        ),
      ),
    ).toEqual([0, 2, 4, 6, 8]);
  });

  // flow_test.exs: "flat_map/2"
  it('flat_map/2', async () => {
    expect(
      sorted(
        await take(
          flow().flatMap((x) => [x, x]),
          5,
        ),
      ),
    ).toEqual([0, 0, 1, 1, 2]);
  });

  // flow_test.exs: "map/2"
  it('map/2', async () => {
    expect(
      sorted(
        await take(
          flow().map((x) => x * 2),
          5,
        ),
      ),
    ).toEqual([0, 2, 4, 6, 8]);
  });

  // flow_test.exs: "reject/2"
  it('reject/2', async () => {
    expect(
      sorted(
        await take(
          flow().reject((x) => x % 2 === 0),
          5,
        ),
      ),
    ).toEqual([1, 3, 5, 7, 9]);
  });

  // flow_test.exs: "keeps ordering"
  it('keeps ordering', async () => {
    const out = flow()
      .filter((x) => x % 2 === 0)
      .map((x) => x + 1)
      .map((x) => x * 2);
    expect(sorted(await take(out, 5))).toEqual([2, 6, 10, 14, 18]);
  });
});
