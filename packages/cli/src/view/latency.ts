/**
 * Handler latency for the live view: the most recent durations in a ring,
 * and their 50th and 99th percentiles on demand.
 */

/** Percentiles of recent durations, in milliseconds. */
export interface LatencySummary {
  /** The median. */
  readonly p50: number;
  /** The 99th percentile. */
  readonly p99: number;
  /** How many durations they were taken from (at most the window). */
  readonly samples: number;
}

/**
 * The last `size` durations. `record` is O(1), cheap enough for a
 * telemetry listener on the hot path; `summary` sorts a copy, once per
 * redraw.
 */
export class LatencyWindow {
  readonly #values: Float64Array;
  #next = 0;
  #count = 0;

  /** @param size - how many recent durations to keep. */
  constructor(size = 4096) {
    this.#values = new Float64Array(size);
  }

  /** How many durations are kept (at most the window's size). */
  get size(): number {
    return this.#count;
  }

  /** Adds one duration (milliseconds). */
  record(ms: number): void {
    this.#values[this.#next] = ms;
    this.#next = (this.#next + 1) % this.#values.length;
    if (this.#count < this.#values.length) this.#count++;
  }

  /** p50 and p99 of the kept durations, or undefined before the first. */
  summary(): LatencySummary | undefined {
    if (this.#count === 0) return undefined;
    const sorted = this.#values.slice(0, this.#count).sort();
    const at = (q: number): number =>
      sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
    return { p50: at(0.5), p99: at(0.99), samples: this.#count };
  }
}
