/** zod building blocks shared by the option schemas, with Sluice's wording. */
import { z } from 'zod';

export const positiveInt = z
  .int({ error: 'expected a positive integer' })
  .positive({ error: 'expected a positive integer' });

export const nonNegativeInt = z
  .int({ error: 'expected a non-negative integer' })
  .nonnegative({ error: 'expected a non-negative integer' });

export const positiveMs = z
  .number({ error: 'expected a positive number of ms' })
  .positive({ error: 'expected a positive number of ms' })
  .finite({ error: 'expected a positive number of ms' });
