/**
 * The timer side of the pipeline's rate limit, and its wiring into a running
 * pipeline: opens a new interval every
 * `interval` ms (the interval in force when the last one opened), and on
 * demand at once. The bookkeeping is the {@link RateLimiter}'s.
 */
import { SluiceError } from '../errors.ts';
import { parseOptions } from '../options/parse.ts';
import {
  RateLimiter,
  rateLimitUpdateSchema,
  type RateLimit,
  type RateLimitUpdate,
} from './rate-limiter.ts';
import { channels } from './telemetry.ts';

/** A pipeline's rate limit while it runs: the budget and its clock. */
export interface RunningRateLimit {
  readonly limiter: RateLimiter;
  readonly clock: RateLimitClock;
}

/**
 * Starts `limit`'s intervals for `pipeline`: each new interval is
 * published on the rate-limit channel, then `opened` runs (the pipeline
 * has its producers emit what they held back).
 */
export function startRateLimit(
  limit: RateLimit,
  pipeline: string,
  opened: () => void,
): RunningRateLimit {
  const limiter = new RateLimiter(limit);
  const clock = new RateLimitClock(limiter, () => {
    if (channels.rateLimit.hasSubscribers) {
      channels.rateLimit.publish({ pipeline, state: 'open', ...limiter.limit });
    }
    opened();
  });
  clock.start();
  return { limiter, clock };
}

/**
 * `pipeline.updateRateLimiting(update)`: checks `update`, then applies it
 * from the next interval, or now with `reset`. Throws when the pipeline
 * (`defined` is its definition's limit) has no rate limit.
 */
export function updateRateLimit(
  running: RunningRateLimit | undefined,
  defined: RateLimit | undefined,
  pipeline: string,
  input: RateLimitUpdate,
): void {
  if (running === undefined && defined === undefined) {
    throw new SluiceError(
      'ERR_PIPELINE_STATE',
      `pipeline ${pipeline} was defined without producer.rateLimiting`,
    );
  }
  const update = parseOptions(rateLimitUpdateSchema(), input, 'updateRateLimiting options');
  if (running === undefined) return;
  const current = running.limiter.limit;
  running.limiter.update({
    allowedMessages: update.allowedMessages ?? current.allowedMessages,
    interval: update.interval ?? current.interval,
  });
  if (update.reset) running.clock.resetNow();
}

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
