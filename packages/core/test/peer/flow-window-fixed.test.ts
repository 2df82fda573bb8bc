/**
 * Elixir Flow's test/flow/window/fixed_test.exs, translated. Flow's
 * `Window.fixed(1, :second, by)` is `Window.fixed(1000, by)`: `by` gives
 * milliseconds, and a window's key is its start in ms.
 *
 * Skipped:
 * - "trigger based on timers": the reducer's init sends a raw process
 *   message (`Process.send_after(self(), {:trigger, :sample}, 200)`) to
 *   fire a named trigger; Sluice stages have no mailbox a reducer can post
 *   to (triggerPeriodically and triggerWhen cover the use).
 *
 * Where the original's "large demand" and "small demand" variants differ,
 * Sluice gives the small-demand result for both (see the quoted doc line).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Flow, Window, type TriggerKind } from '../../src/flow/index.ts';
import { range, sum, take, thenHang } from './flow-helpers.ts';
import { settle } from '../helpers.ts';

afterEach(() => vi.useRealTimers());

const add = (x: number, acc: number): number => x + acc;
const singleWindow = () => Window.fixed(1000, () => 0);
const doubleOrdered = () => Window.fixed(1000, (x: number) => (x <= 50 ? 0 + x : 1000 + x));
/** 1..40 at 0, 41..80 at 2000, then 81..100 at 0 again: late unless allowed. */
const unordered = (x: number): number => (x <= 40 ? 0 : x <= 80 ? 2000 : 0);
const large = {};
const small = { maxDemand: 5, minDemand: 0 };
const tuple = (state: number, info: { window: number; trigger: TriggerKind }) => ({
  events: [[state, info.window, info.trigger] as const],
  acc: state,
});

// docs/flow.md: "Sluice moves a stage's watermark after every event, Flow after every batch; so a window closes at the first event past it, whatever the batch sizes, as in Flow with small batches"
// docs/flow.md: "A window that closes before the input ends is emitted with the trigger that closed it (`count`, `periodic` or `watermark`); Flow names all of them `done`"

describe('fixed window: single window', () => {
  // fixed_test.exs: "with multiple mappers and reducers"
  it('with multiple mappers and reducers', async () => {
    const out = await Flow.fromIterable(range(1, 100), { stages: 4, maxDemand: 5 })
      .map((x) => x)
      .partition({ window: singleWindow(), stages: 4 })
      .reduce(() => 0, add)
      .emit('state')
      .toArray();
    expect(sum(out)).toBe(5050);
  });

  for (const [name, maxDemand] of [
    ['trigger with large demand', 500],
    ['trigger with small demand', 5],
  ] as const) {
    // fixed_test.exs: "trigger with large demand" / "trigger with small demand"
    it(name, async () => {
      const out = await Flow.fromIterable(range(1, 100))
        .partition({ window: singleWindow().triggerEvery(10), stages: 1, maxDemand })
        .reduce(() => 0, add)
        .emit('state')
        .toArray();
      expect(out).toEqual([55, 210, 465, 820, 1275, 1830, 2485, 3240, 4095, 5050, 5050]);
    });
  }

  // fixed_test.exs: "trigger ordering"
  it('trigger ordering', async () => {
    const seen: number[] = [];
    const window = singleWindow().triggerWhen((_acc: number, e: number) => {
      seen.push(e);
      return false;
    });
    const out = await Flow.fromIterable(range(1, 10))
      .partition({ window, stages: 1 })
      .map((x) => x + 1)
      .map((x) => x * 2)
      .reduce(() => 0, add)
      .emit('state')
      .toArray();
    expect(out.sort()).toEqual([130]);
    expect(seen.every((e) => e % 2 === 0)).toBe(true);
  });

  // fixed_test.exs: "trigger names"
  it('trigger names', async () => {
    // docs/flow.md: "`every` and `periodically` do not carry their interval, as Flow's `{:every, n}` does"
    const result = await Flow.fromIterable(range(1, 100))
      .partition({ window: singleWindow().triggerEvery(10), stages: 1 })
      .reduce(() => 0, add)
      .onTrigger((state, { window, trigger }) => {
        expect(window).toBe(0);
        return { events: [[trigger, state] as [TriggerKind, number]], acc: 0 };
      })
      .toArray();
    expect(result.sort()).toEqual([
      ['done', 0],
      ['every', 155],
      ['every', 255],
      ['every', 355],
      ['every', 455],
      ['every', 55],
      ['every', 555],
      ['every', 655],
      ['every', 755],
      ['every', 855],
      ['every', 955],
    ]);
  });

  // fixed_test.exs: "trigger based on intervals"
  it('trigger based on intervals', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const flow = Flow.fromStages([thenHang(range(1, 10))], { maxDemand: 5, stages: 2 })
      .partition({ window: singleWindow().triggerPeriodically(100), stages: 1, maxDemand: 10 })
      .reduce(() => 0, add)
      .onTrigger((acc) => ({ events: [acc * 2], acc }));
    const first = take(flow, 1);
    await settle();
    await vi.advanceTimersByTimeAsync(100);
    expect(await first).toEqual([110]);
  });
});

describe('fixed window: double ordered windows', () => {
  for (const [name, options] of [
    ['reduces per window with large demand', large],
    ['reduces per window with small demand', small],
  ] as const) {
    // fixed_test.exs: "reduces per window with large demand" / "reduces per window with small demand"
    it(name, async () => {
      const out = await Flow.fromIterable(range(1, 100), { stages: 1 })
        .partition({ window: doubleOrdered(), stages: 1, ...options })
        .reduce(() => 0, add)
        .emit('state')
        .toArray();
      expect(out).toEqual([1275, 3775]);
    });
  }

  for (const [name, options] of [
    ['triggers per window with large demand', large],
    ['triggers per window with small demand', small],
  ] as const) {
    // fixed_test.exs: "triggers per window with large demand" / "triggers per window with small demand"
    it(name, async () => {
      const result = await Flow.fromIterable(range(1, 100), { stages: 1 })
        .partition({ window: doubleOrdered().triggerEvery(12), stages: 1, ...options })
        .reduce(() => 0, add)
        .onTrigger(tuple)
        .toArray();
      expect(result).toEqual([
        [78, 0, 'every'],
        [300, 0, 'every'],
        [666, 0, 'every'],
        [1176, 0, 'every'],
        [1275, 0, 'watermark'],
        [678, 1000, 'every'],
        [1500, 1000, 'every'],
        [2466, 1000, 'every'],
        [3576, 1000, 'every'],
        [3775, 1000, 'done'],
      ]);
    });
  }

  // fixed_test.exs: "triggers for all windows"
  it('triggers for all windows', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const flow = Flow.fromStages([thenHang(range(1, 100))], { maxDemand: 5, stages: 1 })
      .partition({ window: doubleOrdered().triggerPeriodically(100), stages: 1, ...small })
      .reduce(() => 0, add)
      .onTrigger(tuple);
    const result = take(flow, 2);
    await settle();
    await vi.advanceTimersByTimeAsync(100);
    expect(await result).toEqual([
      [1275, 0, 'watermark'],
      [3775, 1000, 'periodically'],
    ]);
  });
});

const withoutLateness = () => Window.fixed(1000, unordered);
// The small-demand results of the original: 81..100 come late for window 0 and are dropped.
const reducedWithoutLateness = [820, 0, 2420];
const triggeredWithoutLateness = [
  [78, 0, 'every'],
  [300, 0, 'every'],
  [666, 0, 'every'],
  [820, 0, 'watermark'],
  [0, 1000, 'watermark'],
  [558, 2000, 'every'],
  [1260, 2000, 'every'],
  [2106, 2000, 'every'],
  [2420, 2000, 'done'],
];

describe('fixed window: double unordered windows without lateness with one stage', () => {
  for (const [name, options] of [
    ['reduces per window with large demand', large],
    ['reduces per window with small demand', small],
  ] as const) {
    // fixed_test.exs: "reduces per window with large demand" / "reduces per window with small demand"
    it(name, async () => {
      const out = await Flow.fromIterable(range(1, 100), { stages: 1 })
        .partition({ window: withoutLateness(), stages: 1, ...options })
        .reduce(() => 0, add)
        .emit('state')
        .toArray();
      expect(out).toEqual(reducedWithoutLateness);
    });
  }

  for (const [name, options] of [
    ['triggers per window with large demand', large],
    ['triggers per window with small demand', small],
  ] as const) {
    // fixed_test.exs: "triggers per window with large demand" / "triggers per window with small demand"
    it(name, async () => {
      const result = await Flow.fromIterable(range(1, 100), { stages: 1 })
        .partition({ window: withoutLateness().triggerEvery(12), stages: 1, ...options })
        .reduce(() => 0, add)
        .onTrigger(tuple)
        .toArray();
      expect(result).toEqual(triggeredWithoutLateness);
    });
  }

  // fixed_test.exs: "triggers for all windows"
  it('triggers for all windows', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const flow = Flow.fromStages([thenHang(range(1, 100))], { maxDemand: 5, stages: 1 })
      .partition({ window: withoutLateness().triggerPeriodically(100), stages: 1, ...small })
      .reduce(() => 0, add)
      .onTrigger(tuple);
    const result = take(flow, 3);
    await settle();
    await vi.advanceTimersByTimeAsync(100);
    expect(await result).toEqual([
      [820, 0, 'watermark'],
      [0, 1000, 'watermark'],
      [2420, 2000, 'periodically'],
    ]);
  });
});

describe('fixed window: double unordered windows without lateness with two stages', () => {
  // docs/flow.md: "A stage's watermark is the lowest of its upstream stages' watermarks, and an upstream stage that has sent it nothing yet holds every window open until the input ends"
  // fixed_test.exs: "reduces per window with large demand"
  it('reduces per window with large demand', async () => {
    const out = await Flow.fromIterable(range(1, 100), { stages: 2 })
      .partition({ window: withoutLateness(), stages: 1 })
      .reduce(() => 0, add)
      .emit('state')
      .toArray();
    expect(out).toEqual([2630, 0, 2420]);
  });

  // fixed_test.exs: "triggers per window with large demand"
  it('triggers per window with large demand', async () => {
    const result = await Flow.fromIterable(range(1, 100), { stages: 2 })
      .partition({ window: withoutLateness().triggerEvery(12), stages: 1 })
      .reduce(() => 0, add)
      .onTrigger(tuple)
      .toArray();
    expect(result).toEqual([
      [78, 0, 'every'],
      [300, 0, 'every'],
      [666, 0, 'every'],
      [558, 2000, 'every'],
      [1260, 2000, 'every'],
      [2106, 2000, 'every'],
      [1496, 0, 'every'],
      [2630, 0, 'every'],
      [2630, 0, 'done'],
      [0, 1000, 'done'],
      [2420, 2000, 'done'],
    ]);
  });

  // fixed_test.exs: "reduces per window with small demand"
  it('reduces per window with small demand', async () => {
    const result = await Flow.fromIterable(range(1, 100), { stages: 2 })
      .map((x) => x)
      .partition({ window: withoutLateness(), stages: 1, maxDemand: 100 })
      .reduce(() => 0, add)
      .emit('state')
      .toArray();
    expect([JSON.stringify([2630, 0, 2420]), JSON.stringify([820, 0, 2420])]).toContain(
      JSON.stringify(result),
    );
  });

  // fixed_test.exs: "triggers per window with small demand"
  it('triggers per window with small demand', async () => {
    const result = await Flow.fromIterable(range(1, 100), { stages: 2 })
      .map((x) => x)
      .partition({ window: withoutLateness().triggerEvery(12), stages: 1, ...small })
      .reduce(() => 0, add)
      .onTrigger(tuple)
      .toArray();
    // The first source stage's demand (500) covers all 100 events, so the
    // second sends none and holds every window open until the input ends,
    // as the quoted rule says: no event is late.
    expect(result).toEqual([
      [78, 0, 'every'],
      [300, 0, 'every'],
      [666, 0, 'every'],
      [558, 2000, 'every'],
      [1260, 2000, 'every'],
      [2106, 2000, 'every'],
      [1496, 0, 'every'],
      [2630, 0, 'every'],
      [2630, 0, 'done'],
      [0, 1000, 'done'],
      [2420, 2000, 'done'],
    ]);
  });
});

describe('fixed window: double unordered windows with lateness with one stage', () => {
  // docs/flow.md: "`allowedLateness` is in event time: the watermark is the latest event time minus `allowedLateness`. Flow's is processing time after the watermark passed, with a `watermark` trigger then a `done` one"
  const withLateness = () => Window.fixed(1000, unordered, { allowedLateness: 3_600_000 });

  for (const [name, options] of [
    ['reduces per window with large demand', large],
    ['reduces per window with small demand', small],
  ] as const) {
    // fixed_test.exs: "reduces per window with large demand" / "reduces per window with small demand"
    it(name, async () => {
      const out = await Flow.fromIterable(range(1, 100), { stages: 1 })
        .partition({ window: withLateness(), stages: 1, ...options })
        .reduce(() => 0, add)
        .emit('state')
        .toArray();
      expect(out).toEqual([2630, 0, 2420]);
    });
  }

  for (const [name, options] of [
    ['triggers per window with large demand', large],
    ['triggers per window with small demand', small],
  ] as const) {
    // fixed_test.exs: "triggers per window with large demand" / "triggers per window with small demand"
    it(name, async () => {
      const result = await Flow.fromIterable(range(1, 100), { stages: 1 })
        .partition({ window: withLateness().triggerEvery(12), stages: 1, ...options })
        .reduce(() => 0, add)
        .onTrigger(tuple)
        .toArray();
      expect(result).toEqual([
        [78, 0, 'every'],
        [300, 0, 'every'],
        [666, 0, 'every'],
        [558, 2000, 'every'],
        [1260, 2000, 'every'],
        [2106, 2000, 'every'],
        [1496, 0, 'every'],
        [2630, 0, 'every'],
        [2630, 0, 'done'],
        [0, 1000, 'done'],
        [2420, 2000, 'done'],
      ]);
    });
  }
});
