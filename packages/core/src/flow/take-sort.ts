/**
 * takeSort: each partition keeps its `n` smallest events, then one stage
 * merges the partitions' lists and emits the `n` smallest, in order.
 */
import { SluiceError } from '../errors.ts';
import type { Flow } from './flow.ts';
import { keepSmallest } from './ops.ts';

export function takeSorted<T>(flow: Flow<T>, n: number, compare: (a: T, b: T) => number): Flow<T> {
  if (!Number.isInteger(n) || n < 0) {
    throw new SluiceError(
      'ERR_INVALID_OPTIONS',
      `Flow.takeSort: n: expected a non-negative integer, got ${String(n)}`,
    );
  }
  const keep = keepSmallest(n, compare);
  return flow
    .reduce(
      () => [] as T[],
      (event, list) => keep(list, event),
    )
    .emit('state')
    .departition(
      () => [] as T[],
      (partial: T[], list) => partial.reduce(keep, list),
      (list) => list,
    );
}
