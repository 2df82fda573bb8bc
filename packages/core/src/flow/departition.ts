/**
 * Departition, window by window: each stage of the partitioned layer tags
 * what it emits with its partition, window and trigger; one stage merges
 * them per window and calls `done` once every partition has closed that
 * window (or, for what is left, when the input ends).
 */
import type { Reducer, TriggerResult } from './plan.ts';
import { triggered } from './reducer.ts';
import { closes, type TriggerInfo, type TriggerKind } from './window.ts';

/** What a partition sends the departition stage. */
interface Tagged {
  readonly value: unknown;
  readonly partition: number;
  readonly window: number;
  readonly trigger: TriggerKind;
}

/**
 * The partitioned layer's reducer, tagging what it emits: the events its
 * `onTrigger` returns, or else the accumulator itself.
 */
export function tagging(reducer: Reducer): Reducer {
  const tag =
    (info: TriggerInfo) =>
    (value: unknown): Tagged => ({
      value,
      partition: info.partition,
      window: info.window,
      trigger: info.trigger,
    });
  return {
    ...reducer,
    onTrigger(acc, info) {
      if (reducer.onTrigger === undefined) return { events: [tag(info)(acc)], acc };
      const { events, next } = triggered(reducer.onTrigger(acc, info), acc);
      return { events: [...events].map(tag(info)), acc: next };
    },
  };
}

interface Pending<A> {
  readonly waiting: Set<number>;
  acc: A;
}

/**
 * The departition stage's emit-and-reduce: its accumulator maps each
 * window to the partitions not done with it and the merged value.
 */
export function merging<A, U>(
  partitions: number,
  init: () => A,
  merge: (value: unknown, acc: A) => A,
  done: (acc: A, window: number) => Iterable<U>,
): {
  init: () => Map<number, Pending<A>>;
  step: (t: Tagged, windows: Map<number, Pending<A>>) => TriggerResultOf<U, A>;
  flush: (windows: Map<number, Pending<A>>) => TriggerResult<U, Map<number, Pending<A>>>;
} {
  return {
    init: () => new Map(),
    step(t, windows) {
      const pending = windows.get(t.window) ?? {
        waiting: new Set(Array.from({ length: partitions }, (_, i) => i)),
        acc: init(),
      };
      pending.acc = merge(t.value, pending.acc);
      if (closes(t.trigger)) pending.waiting.delete(t.partition);
      if (pending.waiting.size > 0) {
        windows.set(t.window, pending);
        return { events: [], acc: windows };
      }
      windows.delete(t.window);
      return { events: done(pending.acc, t.window), acc: windows };
    },
    flush(windows) {
      const events: U[] = [];
      for (const w of [...windows.keys()].sort((a, b) => a - b)) {
        events.push(...done((windows.get(w) as Pending<A>).acc, w));
      }
      return { events, acc: new Map() };
    },
  };
}

type TriggerResultOf<U, A> = { events: Iterable<U>; acc: Map<number, Pending<A>> };
