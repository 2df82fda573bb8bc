/**
 * Elixir Flow's test/flow/window/global_test.exs, translated.
 *
 * Skipped:
 * - "trigger based on timers": the reducer's init sends a raw process
 *   message (`Process.send_after(self(), {:trigger, :sample}, 200)`) to
 *   fire a named trigger; Sluice stages have no mailbox a reducer can post
 *   to (triggerPeriodically and triggerWhen cover the use).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Flow, Window, type TriggerKind } from '../../src/flow/index.ts';
import { range, take, thenHang } from './flow-helpers.ts';
import { settle } from '../helpers.ts';

afterEach(() => vi.useRealTimers());

const add = (x: number, acc: number): number => x + acc;

describe('global window', () => {
  for (const [name, maxDemand] of [
    ['trigger keep with large demand', 500],
    ['trigger keep with small demand', 5],
  ] as const) {
    // global_test.exs: "trigger keep with large demand" / "trigger keep with small demand"
    it(name, async () => {
      const out = await Flow.fromIterable(range(1, 100))
        .partition({ window: Window.global().triggerEvery(10), stages: 1, maxDemand })
        .reduce(() => 0, add)
        .emit('state')
        .toArray();
      expect(out).toEqual([55, 210, 465, 820, 1275, 1830, 2485, 3240, 4095, 5050, 5050]);
    });
  }

  for (const [name, maxDemand] of [
    ['trigger discard with large demand', 500],
    ['trigger discard with small demand', 5],
  ] as const) {
    // global_test.exs: "trigger discard with large demand" / "trigger discard with small demand"
    it(name, async () => {
      const out = await Flow.fromIterable(range(1, 100))
        .partition({ window: Window.global().triggerEvery(10), stages: 1, maxDemand })
        .reduce(() => 0, add)
        .onTrigger((acc) => ({ events: [acc], acc: 0 }))
        .toArray();
      expect(out).toEqual([55, 155, 255, 355, 455, 555, 655, 755, 855, 955, 0]);
    });
  }

  // global_test.exs: "trigger ordering"
  it('trigger ordering', async () => {
    const seen: number[] = [];
    const window = Window.global().triggerWhen((_acc: number, e: number) => {
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

  // global_test.exs: "trigger names"
  it('trigger names', async () => {
    // docs/flow.md: "`every` and `periodically` do not carry their interval, as Flow's `{:every, n}` does"
    const events = await Flow.fromIterable(range(1, 100))
      .partition({ window: Window.global().triggerEvery(10), stages: 1 })
      .reduce(() => 0, add)
      .onTrigger((state, { window, trigger }) => {
        // docs/flow.md: "the global window's key is 0 (Flow's `:global`)"
        expect(window).toBe(0);
        return { events: [[trigger, state] as [TriggerKind, number]], acc: 0 };
      })
      .toArray();
    expect(events.sort()).toEqual([
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

  // global_test.exs: "trigger based on intervals"
  it('trigger based on intervals', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const flow = Flow.fromStages([thenHang(range(1, 10))], { maxDemand: 5 })
      .partition({ window: Window.global().triggerPeriodically(100), stages: 1, maxDemand: 10 })
      .reduce(() => 0, add)
      .onTrigger((acc) => ({ events: [acc * 2], acc }));
    const first = take(flow, 1);
    await settle();
    await vi.advanceTimersByTimeAsync(100);
    expect(await first).toEqual([110]);
  });
});
