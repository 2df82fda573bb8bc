/**
 * zod building blocks shared by the producers' option schemas, each with
 * the message a user sees when the value is wrong.
 */
import { z } from 'zod';

export const positiveInt = z
  .int({ error: 'expected a positive integer' })
  .positive({ error: 'expected a positive integer' });

export const positiveMs = z
  .number({ error: 'expected a positive number of ms' })
  .positive({ error: 'expected a positive number of ms' })
  .finite({ error: 'expected a positive number of ms' });

/** A queue, exchange, topic or group name. */
export const name = z
  .string({ error: 'expected a non-empty string' })
  .min(1, { error: 'expected a non-empty string' });
