/**
 * One retry vocabulary for every producer (pure: callers own the timers
 * and pass the random source).
 *
 * - A {@link Backoff} is `{ initial, max }` in ms, the shape of every
 *   backoff option.
 * - Attempts count handlings or calls, the first included: attempt 1 is the
 *   first try, and the delay before attempt `n + 1` is computed from `n`,
 *   the attempts made so far.
 * - {@link retryDelay} is deterministic: `initial · 2^(n-1)`, at most `max`.
 *   Delayed redeliveries use it, so messages waiting in one retry queue
 *   expire in the order they were published.
 * - {@link jitteredDelay} spreads that delay uniformly over its upper half,
 *   `[d/2, d]`, so that many clients that failed at the same moment do not
 *   come back at the same moment, and never waits longer than `max`.
 *   Reconnects and broker-call retries use it.
 */

/** Backoff bounds in ms: the first delay, and the most any delay may be. */
export interface Backoff {
  readonly initial: number;
  readonly max: number;
}

// 2^30 × any sensible initial delay is far beyond any sensible max.
const MAX_EXPONENT = 30;

/**
 * The delay in ms after `attempts` failed attempts (1 or more):
 * `initial · 2^(attempts-1)`, at most `max`.
 *
 * @example
 * ```ts
 * retryDelay(1, { initial: 100, max: 10_000 }); // 100
 * retryDelay(4, { initial: 100, max: 10_000 }); // 800
 * retryDelay(9, { initial: 100, max: 10_000 }); // 10000
 * ```
 */
export function retryDelay(attempts: number, backoff: Backoff): number {
  const exponent = Math.min(MAX_EXPONENT, Math.max(0, attempts - 1));
  return Math.min(backoff.max, backoff.initial * 2 ** exponent);
}

/**
 * {@link retryDelay}, spread over its upper half: uniform in `[d/2, d]`,
 * rounded to whole ms. `random` returns a number in [0, 1), like
 * `Math.random`.
 *
 * @example
 * ```ts
 * jitteredDelay(1, { initial: 1000, max: 30_000 }, () => 0.5); // 750
 * jitteredDelay(9, { initial: 1000, max: 30_000 }, () => 0.999); // ≈ 30000
 * ```
 */
export function jitteredDelay(
  attempts: number,
  backoff: Backoff,
  random: () => number = Math.random,
): number {
  const delay = retryDelay(attempts, backoff);
  return Math.round(delay / 2 + (delay / 2) * random());
}
