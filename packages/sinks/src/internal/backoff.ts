/**
 * Waiting between retries: exponential backoff (`initial × 2^(n−1)`, at
 * most `max`), and a sleep that an abort ends early.
 */
import { z } from 'zod';

const ms = (error: string) => z.number({ error }).positive({ error }).finite({ error });

/** The `retryBackoff` option of the sinks that retry. */
export const retryBackoffSchema = z
  .object({
    initial: ms('expected a positive number of ms')
      .default(200)
      .meta({ description: 'The delay before the first retry, in ms; each next one doubles.' }),
    max: ms('expected a positive number of ms')
      .default(10_000)
      .meta({ description: 'The longest delay between retries, in ms.' }),
  })
  .strict()
  .prefault({})
  .meta({ description: 'Exponential backoff between retries.' });

/** The delay before retry `attempt` (1 for the first). */
export function backoffDelay(
  backoff: { readonly initial: number; readonly max: number },
  attempt: number,
): number {
  return Math.min(backoff.max, backoff.initial * 2 ** (attempt - 1));
}

/** Waits `ms`; false when `signal` aborts first. */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) return resolve(false);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
