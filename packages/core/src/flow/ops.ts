/**
 * A flow stage's fused operations: each takes the chunk of events the
 * stage received (or the previous operation returned) and returns the
 * events to pass on. An operation may return a promise (an async `each` or
 * `mapBatch`); the rest of the chain then runs once it settles, and the
 * stage waits for it, so back-pressure holds.
 */
import { isThenable } from '../internal/thenable.ts';

/** One fused operation over a chunk of events. */
export type Op = (events: unknown[]) => unknown[] | PromiseLike<unknown[]>;
/** Makes a stage's instance of an operation: called once per stage, so state is per stage. */
export type OpFactory = () => Op;

/** Runs `ops[from..]` over `events` in order; synchronous unless an operation returns a promise. */
export function runOps(
  ops: readonly Op[],
  events: unknown[],
  from = 0,
): unknown[] | Promise<unknown[]> {
  let out = events;
  for (let i = from; i < ops.length; i++) {
    const result = (ops[i] as Op)(out);
    if (isThenable(result)) return Promise.resolve(result).then((r) => runOps(ops, r, i + 1));
    out = result;
  }
  return out;
}

/** Calls `fn` on `events[from..]` one after another, waiting for each promise it returns. */
export function eachInOrder<T>(
  events: T[],
  fn: (event: T) => unknown,
  from = 0,
): T[] | Promise<T[]> {
  for (let i = from; i < events.length; i++) {
    const result = fn(events[i] as T);
    if (isThenable(result)) {
      return Promise.resolve(result).then(() => eachInOrder(events, fn, i + 1));
    }
  }
  return events;
}

/** Replaces each event with the events `fn` returns. */
export function flatMapOp(fn: (event: unknown) => Iterable<unknown>): Op {
  return (events) => {
    const out: unknown[] = [];
    for (const e of events) for (const u of fn(e)) out.push(u);
    return out;
  };
}

/** Per stage: drops events whose key the stage has seen. */
export function uniqueBy(key: (event: unknown) => unknown): OpFactory {
  return () => {
    const seen = new Set<unknown>();
    return (events) =>
      events.filter((e) => {
        const k = key(e);
        if (seen.has(k)) return false;
        seen.add(k);
        return true;
      });
  };
}

/** Adds `value` to `key`'s list in `map`; returns the map. */
export function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): Map<K, V[]> {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
  return map;
}

/** Inserts an event into a sorted list of at most `n` (n is small in practice). */
export function keepSmallest<T>(n: number, compare: (a: T, b: T) => number) {
  return (list: T[], event: T): T[] => {
    let i = list.length;
    while (i > 0 && compare(list[i - 1] as T, event) > 0) i--;
    if (i >= n) return list;
    list.splice(i, 0, event);
    if (list.length > n) list.pop();
    return list;
  };
}
