/**
 * What happens to a message once the pipeline is done with it: the ack
 * policies, as a pure decision. The producer turns each decision into a
 * wire operation (delivery-tracker.ts) or a republish to the retry queue.
 */
import { retryDelay, type Backoff } from '../internal/retry.ts';
import type { FailurePolicy } from './options.ts';

export type { AckPolicy, FailurePolicy } from './options.ts';

/** A settlement sent on the channel the message arrived on. */
export type WireOp = 'ack' | 'reject' | 'requeue';

/** The outcome of {@link decide}. */
export type Decision =
  | { readonly kind: 'settle'; readonly op: WireOp }
  /** Republish as attempt `attempt + 1` after `delayMs`, then ack the original. */
  | { readonly kind: 'retry'; readonly attempt: number; readonly delayMs: number };

/** Delayed-retry settings, as resolved from the options. */
export interface RetrySettings {
  /** Handlings in all, the first included. */
  readonly maxAttempts: number;
  readonly delay: Backoff;
}

/** The header that counts a message's failed handlings across retries. */
export const ATTEMPTS_HEADER = 'x-sluice-attempts';

const ACK: Decision = Object.freeze({ kind: 'settle', op: 'ack' });
const REJECT: Decision = Object.freeze({ kind: 'settle', op: 'reject' });
const REQUEUE: Decision = Object.freeze({ kind: 'settle', op: 'requeue' });

/**
 * Applies `policy` to a message that was `redelivered` (or not) and has
 * failed `failures` times before (its {@link ATTEMPTS_HEADER}). For
 * `'retry'`, `failed` says whether this handling failed too.
 *
 * @example
 * ```ts
 * decide('requeueOnce', { redelivered: true, failures: 0 }); // reject
 * decide('retry', { redelivered: false, failures: 2 }, { maxAttempts: 3, delay }); // reject: third failure
 * ```
 */
export function decide(
  policy: FailurePolicy,
  message: { readonly redelivered: boolean; readonly failures: number },
  retry?: RetrySettings,
): Decision {
  switch (policy) {
    case 'ack':
      return ACK;
    case 'reject':
      return REJECT;
    case 'requeue':
      return REQUEUE;
    case 'requeueOnce':
      return message.redelivered ? REJECT : REQUEUE;
    case 'retry': {
      if (retry === undefined) return REJECT;
      const attempt = message.failures + 1;
      if (attempt >= retry.maxAttempts) return REJECT;
      return { kind: 'retry', attempt, delayMs: retryDelay(attempt, retry.delay) };
    }
  }
}

/** Reads {@link ATTEMPTS_HEADER}: a non-negative integer, 0 when absent or garbled. */
export function failuresOf(headers: Readonly<Record<string, unknown>>): number {
  const raw = headers[ATTEMPTS_HEADER];
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw) : NaN;
  return Number.isInteger(n) && n > 0 ? n : 0;
}
