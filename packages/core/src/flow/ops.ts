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
