/**
 * Which failed SQS calls are worth another try (pure): the broker could not
 * be reached or answer in time, throttled, or failed on its side.
 */
import { isBrokerError } from '../errors.ts';
import type { SqsBatchFailure } from './client.ts';

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
