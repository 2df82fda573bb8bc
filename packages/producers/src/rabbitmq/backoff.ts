/**
 * Reconnect delays: randomized exponential backoff ("full jitter" above a
 * floor). Attempt 1 waits between `min` and `2·min`, attempt n between
 * `min·2^(n-1)` and `min·2^n`, never more than `max`. The randomness spreads
 * the reconnects of many consumers that lost the broker at the same moment.
 * Pure: the caller passes the random source and owns the timer.
 */

/** Bounds of {@link backoffDelay}, in ms. */
export interface BackoffBounds {
  readonly min: number;
  readonly max: number;
}

/**
 * The delay before reconnect attempt `attempt` (1 for the first), in ms.
 * `random` returns a number in [0, 1), like `Math.random`.
 *
 * @example
 * ```ts
 * backoffDelay(1, { min: 1000, max: 30_000 }, () => 0.5); // 1500
 * backoffDelay(9, { min: 1000, max: 30_000 }, () => 0.5); // 30000
 * ```
 */
export function backoffDelay(
  attempt: number,
  bounds: BackoffBounds,
  random: () => number = Math.random,
): number {
  const { min, max } = bounds;
  // Cap the exponent: 2^30·min is far beyond any sensible max already.
  const floor = Math.min(max, min * 2 ** Math.min(30, Math.max(0, attempt - 1)));
  const ceiling = Math.min(max, floor * 2);
  return Math.round(floor + (ceiling - floor) * random());
}

/**
 * The delay before handling attempt `attempt + 1` of a message that failed
 * `attempt` times, for delayed retries: `min·2^(attempt-1)`, at most `max`.
 * Deterministic: messages waiting in one retry queue expire in publish order
 * only if their delays never shrink (see docs/producers/rabbitmq.md).
 */
export function retryDelay(attempt: number, bounds: BackoffBounds): number {
  return Math.min(bounds.max, bounds.min * 2 ** Math.min(30, Math.max(0, attempt - 1)));
}
