/**
 * Smoothed rates for the live view: an exponentially weighted moving
 * average over time, so a rate drawn every 250 ms moves over a few seconds
 * instead of jumping with each tick's count.
 */

/** Seconds over which a rate settles (the EWMA's time constant). */
export const DEFAULT_SMOOTHING_SECONDS = 3;

/**
 * A counter's rate per second, smoothed. Feed it the counter's running
 * total with the time it was read; `perSecond` is the smoothed rate.
 *
 * The weight of a new sample is `1 - e^(-dt/tau)`, so ticks of any length
 * give the same curve: after `tau` seconds of a steady rate the value has
 * moved 63% of the way to it, after `3 × tau` 95%.
 */
export class RateMeter {
  readonly #tau: number;
  #last: { at: number; total: number } | undefined;
  #rate = 0;
  #primed = false;

  /** @param smoothingSeconds - the time constant `tau`, in seconds. */
  constructor(smoothingSeconds = DEFAULT_SMOOTHING_SECONDS) {
    this.#tau = smoothingSeconds;
  }

  /**
   * Records the counter's `total` read at `atMs` (milliseconds, any
   * monotonic clock) and returns the smoothed rate per second.
   */
  sample(atMs: number, total: number): number {
    const last = this.#last;
    this.#last = { at: atMs, total };
    if (last === undefined) return this.#rate;
    const seconds = (atMs - last.at) / 1000;
    if (seconds <= 0) return this.#rate;
    const instant = (total - last.total) / seconds;
    if (!this.#primed) {
      // The first interval is the best guess there is: start from it
      // rather than climbing from zero.
      this.#rate = instant;
      this.#primed = true;
    } else {
      this.#rate += (1 - Math.exp(-seconds / this.#tau)) * (instant - this.#rate);
    }
    return this.#rate;
  }

  /** The smoothed rate per second after the last sample. */
  get perSecond(): number {
    return this.#rate;
  }
}
