/**
 * Elixir Flow's test/flow/window/periodic_test.exs, translated. Processing
 * time is faked (vi.useFakeTimers): no test waits on the clock.
 *
 * Skipped: none.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Flow, Window } from '../../src/flow/index.ts';
import { range, take, thenHang } from './flow-helpers.ts';
import { settle } from '../helpers.ts';

afterEach(() => vi.useRealTimers());

const add = (x: number, acc: number): number => x + acc;
const singleWindow = () => Window.periodic(100);

describe('periodic window', () => {
  // periodic_test.exs: "emits based on intervals"
  it('emits based on intervals', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const flow = Flow.fromStages([thenHang(range(1, 10))], { maxDemand: 5 })
      .partition({ window: singleWindow(), stages: 1, maxDemand: 10 })
      .reduce(() => 0, add)
      .onTrigger((state, { window, trigger, partition, partitions }) => {
        // docs/flow.md: "A window that closes before the input ends is emitted with the trigger that closed it (`count`, `periodic` or `watermark`); Flow names all of them `done`"
        expect(trigger).toBe('periodic');
        return { events: [[state, [partition, partitions], window]], acc: state };
      });
    const result = take(flow, 2);
    await settle();
    await vi.advanceTimersByTimeAsync(200);
    expect(await result).toEqual([
      [55, [0, 1], 0],
      [0, [0, 1], 1],
    ]);
  });

  // periodic_test.exs: "emits based on intervals with count triggers"
  it('emits based on intervals with count triggers', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const flow = Flow.fromStages([thenHang(range(1, 10))], { maxDemand: 5, stages: 2 })
      .partition({ window: singleWindow().triggerEvery(5), stages: 1, maxDemand: 10 })
      .reduce(() => 0, add)
      .onTrigger((state, { window, trigger }) => ({
        events: [[state, window, trigger]],
        acc: state,
      }));
    const result = take(flow, 3);
    await settle();
    await vi.advanceTimersByTimeAsync(100);
    expect(await result).toEqual([
      [15, 0, 'every'],
      [55, 0, 'every'],
      [55, 0, 'periodic'],
    ]);
  });
});
