/**
 * The failure policy, pure: a failed message is `nak`ed with a growing
 * delay until it has been handled `maxAttempts` times, then given up
 * (published to the dead-letter subject with its reason, and `term`ed).
 */
import { inspect } from 'node:util';
import { retryDelay, type Backoff } from '../internal/retry.ts';
import type { NatsHeaders } from './client.ts';

/** The header that carries why a message was dead-lettered. */
export const FAILURE_REASON_HEADER = 'sluice-failure-reason';
/** Headers a dead-lettered message also carries: where it came from. */
export const SOURCE_SUBJECT_HEADER = 'sluice-source-subject';
export const SOURCE_SEQUENCE_HEADER = 'sluice-source-sequence';
export const DELIVERY_COUNT_HEADER = 'sluice-delivery-count';

const MAX_REASON_LENGTH = 1024;

/** What to do with a failed message. */
export type FailureAction =
  { readonly kind: 'nak'; readonly delayMs: number } | { readonly kind: 'give-up' };

/**
 * A message delivered `deliveryCount` times (the server's count, this one
 * included) has failed: retry it after `retryDelay(deliveryCount)`, or
 * give it up once `maxAttempts` handlings are spent.
 *
 * @example
 * ```ts
 * failureAction(1, 3, { initial: 100, max: 1000 }); // { kind: 'nak', delayMs: 100 }
 * failureAction(3, 3, { initial: 100, max: 1000 }); // { kind: 'give-up' }
 * ```
 */
export function failureAction(
  deliveryCount: number,
  maxAttempts: number,
  backoff: Backoff,
): FailureAction {
  if (deliveryCount >= maxAttempts) return { kind: 'give-up' };
  return { kind: 'nak', delayMs: retryDelay(Math.max(1, deliveryCount), backoff) };
}

/** A failure reason as one line of text, at most 1024 characters. */
export function describeReason(reason: unknown): string {
  const text =
    reason instanceof Error
      ? `${reason.name}: ${reason.message}`
      : typeof reason === 'string'
        ? reason
        : inspect(reason, { depth: 2, breakLength: Infinity });
  const line = (text === '' ? 'failed' : text).replace(/[\r\n]+/g, ' ');
  return line.length > MAX_REASON_LENGTH ? `${line.slice(0, MAX_REASON_LENGTH - 1)}…` : line;
}

/** The headers of a dead-lettered copy: the original ones, the reason and the source. */
export function deadLetterHeaders(
  original: NatsHeaders,
  source: {
    readonly subject: string;
    readonly streamSequence: number;
    readonly deliveryCount: number;
  },
  reason: unknown,
): NatsHeaders {
  return {
    ...original,
    [FAILURE_REASON_HEADER]: [describeReason(reason)],
    [SOURCE_SUBJECT_HEADER]: [source.subject],
    [SOURCE_SEQUENCE_HEADER]: [String(source.streamSequence)],
    [DELIVERY_COUNT_HEADER]: [String(source.deliveryCount)],
  };
}
