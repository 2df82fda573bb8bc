/**
 * The timer side of the pipeline's rate limit: opens a new interval every
 * `interval` ms (the interval in force when the last one opened), and on
 * demand at once. The bookkeeping is the {@link RateLimiter}'s.
 */
import type { RateLimiter } from './rate-limiter.ts';

export class RateLimitClock {
  readonly #limiter: RateLimiter;
  readonly #opened: () => void;
  #timer: NodeJS.Timeout | undefined;

  /** `opened` runs after each new interval has opened. */
  constructor(limiter: RateLimiter, opened: () => void) {
    this.#limiter = limiter;
    this.#opened = opened;
  }

  /** Starts the intervals. */
  start(): void {
    this.#schedule();
  }

  /** Opens a new interval now (an update with `reset: true`), and times the next from here. */
  resetNow(): void {
    this.#open();
    this.#schedule();
  }

  /** Stops the timer. */
  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #open(): void {
    this.#limiter.reset();
    this.#opened();
  }

  #schedule(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#open();
      this.#schedule();
    }, this.#limiter.interval);
  }
}
