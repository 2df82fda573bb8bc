/**
 * zod building blocks shared by the producers' option schemas, each with
 * the message a user sees when the value is wrong.
 */
import { z } from 'zod';

// The same blocks as core's options: one wording, one timer limit.
export { positiveInt, positiveMs } from '@sluice/core';

/** A queue, exchange, topic or group name. */
export const name = z
  .string({ error: 'expected a non-empty string' })
  .min(1, { error: 'expected a non-empty string' });
