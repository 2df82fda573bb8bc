/** zod building blocks shared by the option schemas, with Sluice's wording. */
import { z } from 'zod';

export const positiveInt = z
  .int({ error: 'expected a positive integer' })
  .positive({ error: 'expected a positive integer' });

export const nonNegativeInt = z
  .int({ error: 'expected a non-negative integer' })
  .nonnegative({ error: 'expected a non-negative integer' });

/**
 * The longest delay a Node timer keeps: a longer one fires after 1 ms
 * (with a warning), so every duration option stops here.
 */
export const MAX_TIMER_MS = 2_147_483_647;

export const positiveMs = z
  .number({ error: 'expected a positive number of ms' })
  .positive({ error: 'expected a positive number of ms' })
  .finite({ error: 'expected a positive number of ms' })
  .max(MAX_TIMER_MS, {
    error: `expected at most ${MAX_TIMER_MS} ms (about 24.8 days, the longest timer Node keeps)`,
  });
