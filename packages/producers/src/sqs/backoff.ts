/**
 * Backoff schedules and error classification for the SQS producer (pure).
 */
import { isBrokerError } from '../errors.ts';
import type { SqsBatchFailure } from './client.ts';

/** The longest visibility timeout SQS accepts, in seconds (12 hours). */
export const MAX_VISIBILITY_TIMEOUT = 43_200;

/**
 * Exponential backoff with "full jitter": a random delay between half and
 * all of `min(maxMs, baseMs · 2^(attempt-1))`. `attempt` counts from 1;
 * `random` returns [0, 1).
 */
export function backoffMs(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

/**
 * The visibility timeout (seconds) that `onFailure: 'retry'` gives a message
 * received `receiveCount` times: `baseSeconds · 2^(receiveCount-1)`, at most
 * `maxSeconds` and SQS's 12 hours.
 */
export function retryVisibilityTimeout(
  receiveCount: number,
  baseSeconds: number,
  maxSeconds: number,
): number {
  const exponent = Math.max(0, Math.min(receiveCount, 64) - 1);
  return Math.min(MAX_VISIBILITY_TIMEOUT, maxSeconds, Math.round(baseSeconds * 2 ** exponent));
}

/** SQS error names that mean "try again later". */
const TRANSIENT_NAMES = new Set([
  'ThrottlingException',
  'RequestThrottled',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'ServiceUnavailable',
  'InternalError',
  'InternalFailure',
  'KmsThrottled',
  'ProvisionedThroughputExceededException',
]);

/**
 * True when a failed call is worth retrying: the broker was unreachable or
 * did not answer within `requestTimeout`, SQS throttled, or it failed on its side (5xx). A missing queue, a bad
 * request or bad credentials are not.
 */
export function isTransientError(error: unknown): boolean {
  if (isBrokerError(error, 'ERR_BROKER_UNREACHABLE')) return true;
  if (isBrokerError(error, 'ERR_BROKER_TIMEOUT')) return true;
  if (isBrokerError(error, 'ERR_QUEUE_NOT_FOUND')) return false;
  const cause: unknown = isBrokerError(error) ? error.cause : error;
  if (typeof cause !== 'object' || cause === null) return false;
  const { name, $metadata, $fault } = cause as {
    name?: unknown;
    $metadata?: { httpStatusCode?: unknown };
    $fault?: unknown;
  };
  if (typeof name === 'string' && TRANSIENT_NAMES.has(name)) return true;
  if ($fault === 'server') return true;
  const status = $metadata?.httpStatusCode;
  return typeof status === 'number' && (status >= 500 || status === 429);
}

/** True when a per-entry `Failed` result is worth retrying (SQS's fault, not the request's). */
export function isTransientEntry(failure: SqsBatchFailure): boolean {
  return !failure.senderFault || TRANSIENT_NAMES.has(failure.code);
}
