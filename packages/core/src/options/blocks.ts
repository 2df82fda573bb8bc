/**
 * zod building blocks shared by the option schemas, with Sluice's wording.
 * {@link optionBlocks} builds them on first use, so that importing a module
 * whose schemas use them does not load zod (`@sluice/core/options` exports
 * them built).
 */
import type { Logger } from '../logger.ts';
import { lazily, zod } from './zod.ts';

/**
 * The longest delay a Node timer keeps: a longer one fires after 1 ms
 * (with a warning), so every duration option stops here.
 */
export const MAX_TIMER_MS = 2_147_483_647;

/**
 * The most instances of one stage group: producers, processors, or a
 * batcher's batch processors. Each processor is a stage that subscribes to
 * every producer, and a producer finds a consumer by scanning its list, so
 * a group much larger than this starts and drains slowly (125,000
 * processors took over 30 s to drain) and helps no handler: 10,000
 * processors already keep 10,000 messages in flight.
 */
export const MAX_CONCURRENCY = 10_000;

/**
 * The most producer-to-processor subscriptions, `producer.concurrency ×`
 * the processors' `concurrency`: every processor subscribes to every
 * producer instance (1,000 × 10,000 took over a minute to drain).
 */
export const MAX_SUBSCRIPTIONS = 100_000;

/** The building blocks, built (and zod loaded) on the first call. */
export const optionBlocks = lazily(() => {
  const z = zod();

  /** A count: an integer, 1 or more. */
  const positiveInt = z
    .int({ error: 'expected a positive integer' })
    .positive({ error: 'expected a positive integer' });

  /** A count that may be 0: an integer, 0 or more. */
  const nonNegativeInt = z
    .int({ error: 'expected a non-negative integer' })
    .nonnegative({ error: 'expected a non-negative integer' });

  /** A duration in ms: a finite positive number, at most {@link MAX_TIMER_MS}. */
  const positiveMs = z
    .number({ error: 'expected a positive number of ms' })
    .positive({ error: 'expected a positive number of ms' })
    .finite({ error: 'expected a positive number of ms' })
    .max(MAX_TIMER_MS, {
      error: `expected at most ${MAX_TIMER_MS} ms (about 24.8 days, the longest timer Node keeps)`,
    });

  /** A `concurrency` option: a positive integer up to {@link MAX_CONCURRENCY}. */
  const concurrencyInt = positiveInt.max(MAX_CONCURRENCY, {
    error: `expected at most ${MAX_CONCURRENCY} (each one is a stage; see docs/architecture.md, "Limits")`,
  });

  /** A queue, exchange, topic, group or pipeline name: a non-empty string. */
  const name = z
    .string({ error: 'expected a non-empty string' })
    .min(1, { error: 'expected a non-empty string' });

  /** A `logger` option: a pino logger (or anything with pino's `child`, `warn`, `error`…). */
  const pinoLogger = z.custom<Logger>(
    (v) => typeof v === 'object' && v !== null && typeof (v as Logger).child === 'function',
    { error: 'expected a pino logger' },
  );

  /** A `signal` option: an AbortSignal. */
  const abortSignal = z.custom<AbortSignal>((v) => v instanceof AbortSignal, {
    error: 'expected an AbortSignal',
  });

  return {
    positiveInt,
    nonNegativeInt,
    positiveMs,
    concurrencyInt,
    name,
    pinoLogger,
    abortSignal,
  };
});
