/**
 * Per-message ack options of the Redis producer: what
 * `message.configureAck(options)` takes, checked when it is called.
 */
import { SluiceError } from '@sluice/core';

/** What a success does: XACK it (`'ack'`), or leave it pending (`'noop'`; claimed again after `claimIdle`). */
export const REDIS_ON_SUCCESS = ['ack', 'noop'] as const;
/**
 * What a failure does: follow `maxAttempts` (`'retry'`: claimed back after
 * `retryBackoff`, dead-lettered at the last attempt), dead-letter it now
 * (`'deadLetter'`), or XACK it as if it had succeeded (`'ack'`: dropped).
 */
export const REDIS_ON_FAILURE = ['retry', 'deadLetter', 'ack'] as const;

/** See {@link REDIS_ON_SUCCESS}. */
export type RedisOnSuccess = (typeof REDIS_ON_SUCCESS)[number];
/** See {@link REDIS_ON_FAILURE}. */
export type RedisOnFailure = (typeof REDIS_ON_FAILURE)[number];

/**
 * What `message.configureAck` takes for a Redis message: this message's
 * `onSuccess` and/or `onFailure` (defaults `'ack'` and `'retry'`).
 */
export type RedisAckOptions = {
  readonly onSuccess?: RedisOnSuccess;
  readonly onFailure?: RedisOnFailure;
};

/** `options` checked: throws `ERR_INVALID_OPTIONS` naming a bad key or value. */
export function checkRedisAckOptions(options: Readonly<Record<string, unknown>>): RedisAckOptions {
  const out: { onSuccess?: RedisOnSuccess; onFailure?: RedisOnFailure } = {};
  for (const [key, value] of Object.entries(options)) {
    if (key === 'onSuccess') out.onSuccess = oneOf(key, value, REDIS_ON_SUCCESS);
    else if (key === 'onFailure') out.onFailure = oneOf(key, value, REDIS_ON_FAILURE);
    else {
      throw new SluiceError(
        'ERR_INVALID_OPTIONS',
        `configureAck: unknown Redis ack option ${key}; expected onSuccess or onFailure`,
      );
    }
  }
  return out;
}

function oneOf<T extends string>(key: string, value: unknown, values: readonly T[]): T {
  if (typeof value === 'string' && (values as readonly string[]).includes(value)) return value as T;
  throw new SluiceError(
    'ERR_INVALID_OPTIONS',
    `configureAck: ${key}: expected one of ${values.map((v) => `'${v}'`).join(', ')}, got ${JSON.stringify(value)}`,
  );
}
