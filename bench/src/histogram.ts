/**
 * A log-bucketed latency histogram: ~1 % resolution from 1 µs to ~100 s
 * in 1,900 counters, so recording a million latencies costs no memory
 * growth and percentiles stay accurate enough to compare runs.
 */
const MIN_MS = 0.001;
const GROWTH = 1.01;
const LOG_GROWTH = Math.log(GROWTH);
const BUCKETS = 1900;

export class Histogram {
  readonly #counts = new Float64Array(BUCKETS);
  #total = 0;

  /** Records `count` samples of `ms` milliseconds. */
  record(ms: number, count = 1): void {
    const i =
      ms <= MIN_MS ? 0 : Math.min(BUCKETS - 1, Math.ceil(Math.log(ms / MIN_MS) / LOG_GROWTH));
    this.#counts[i] = (this.#counts[i] as number) + count;
    this.#total += count;
  }

  get count(): number {
    return this.#total;
  }

  /** The value (ms) at quantile `q` in [0, 1]; the upper bound of its bucket. */
  quantile(q: number): number {
    if (this.#total === 0) return 0;
    const target = q * this.#total;
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.#counts[i] as number;
      if (seen >= target) return MIN_MS * GROWTH ** i;
    }
    return MIN_MS * GROWTH ** (BUCKETS - 1);
  }
}
