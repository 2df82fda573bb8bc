/** Shared helpers for the translations of Elixir Flow's own test suites. */
import { type Flow } from '../../src/flow/index.ts';
import { producer, type Stage } from '../../src/stage/index.ts';
import { defaultHash } from '../../src/stage/partition-dispatcher.ts';

/** The integers from `from` to `to`, both included (Elixir's `from..to`). */
export const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

export const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

export const ascending = (a: number, b: number): number => a - b;

/** Sorts a copy of `xs`: numbers numerically, anything else by its JSON. */
export function sorted<T>(xs: readonly T[]): T[] {
  return [...xs].sort((a, b) =>
    typeof a === 'number' && typeof b === 'number'
      ? a - b
      : JSON.stringify(a) < JSON.stringify(b)
        ? -1
        : 1,
  );
}

/** The partition `partition({ stages })` sends `key` to: Sluice's documented default hash. */
export const partitionOf = (key: unknown, stages: number): number => defaultHash(key) % stages;

/** Reads the first `n` events of `flow`, then leaves the loop (which stops the flow). */
export async function take<T>(flow: Flow<T>, n: number): Promise<T[]> {
  const out: T[] = [];
  if (n === 0) return out;
  for await (const e of flow.toAsyncIterable()) {
    out.push(e);
    if (out.length === n) break;
  }
  return out;
}

/**
 * A producer that emits `events` as asked, then nothing more, ever (Elixir's
 * `Stream.concat(events, Stream.timer(60_000))` as a source).
 */
export function thenHang<T>(events: readonly T[]): Stage<never, T> {
  let next = 0;
  return producer<T>({
    handleDemand(demand) {
      const out = events.slice(next, next + demand);
      next += out.length;
      return out;
    },
  });
}

/** FlowTest.Counter: an endless producer of the integers from `start`. */
export function counter(start = 0): Stage<never, number> {
  let n = start;
  return producer<number>({
    handleDemand(demand) {
      const out = range(n, n + demand - 1);
      n += demand;
      return out;
    },
  });
}
