/**
 * The pipeline's rate limit: a budget of `allowedMessages` per `interval`,
 * shared by every producer instance. This module is the pure bookkeeping;
 * rate-limit-clock.ts owns the timer that calls {@link RateLimiter.reset}.
 *
 * An update takes effect at the next reset, unless `reset: true` asks for a
 * new interval now (Broadway's semantics).
 */
import type { z } from 'zod';
import { optionBlocks } from '../options/blocks.ts';
import { lazily, zod } from '../options/zod.ts';
import type { definitionSchemas } from './definition.ts';

/** `pipeline.updateRateLimiting`'s argument: every key optional, no other key allowed. */
export const rateLimitUpdateSchema = lazily(() => {
  const z = zod();
  const { positiveInt, positiveMs } = optionBlocks();
  return z
    .object({
      allowedMessages: positiveInt.optional().meta({
        description: 'The new budget per interval; unchanged when unset.',
      }),
      interval: positiveMs.optional().meta({
        description: 'The new interval, in ms; unchanged when unset.',
      }),
      reset: z.boolean({ error: 'expected true or false' }).default(false).meta({
        description: 'Starts a new interval now, with the new limit, instead of at the next one.',
      }),
    })
    .strict();
});

/** `pipeline.updateRateLimiting`'s argument. */
export type RateLimitUpdate = z.input<ReturnType<typeof rateLimitUpdateSchema>>;

/** A rate limit in force: `allowedMessages` per `interval` ms. */
export type RateLimit = z.output<ReturnType<typeof definitionSchemas>['rateLimitingSchema']>;

export class RateLimiter {
  #limit: RateLimit;
  #next: RateLimit | undefined;
  #remaining: number;

  constructor(limit: RateLimit) {
    this.#limit = limit;
    this.#remaining = limit.allowedMessages;
  }

  /** The limit in force (an update waits for the next reset). */
  get limit(): RateLimit {
    return this.#next ?? this.#limit;
  }

  /** The interval of the limit in force now, for the timer. */
  get interval(): number {
    return this.#limit.interval;
  }

  /** What is left of this interval's budget. */
  get remaining(): number {
    return this.#remaining;
  }

  /** Takes up to `wanted` from the budget; returns how many were granted. */
  take(wanted: number): number {
    const granted = Math.min(wanted, this.#remaining);
    this.#remaining -= granted;
    return granted;
  }

  /** Starts a new interval, applying a pending update. */
  reset(): void {
    if (this.#next !== undefined) {
      this.#limit = this.#next;
      this.#next = undefined;
    }
    this.#remaining = this.#limit.allowedMessages;
  }

  /** Changes the limit, from the next reset (or now, then call {@link reset}). */
  update(limit: RateLimit): void {
    this.#next = limit;
  }
}
