/**
 * Per-message ack options of the NATS producer: what
 * `message.configureAck(options)` takes, checked when it is called. The
 * same words as the Redis producer's (ack-options.ts there).
 */
import { SluiceError } from '@sluice/core';

/**
 * What a success does: `ack` it (`'ack'`), or leave it unacked (`'noop'`:
 * JetStream delivers it again after the consumer's `ackWait`).
 */
export const NATS_ON_SUCCESS = ['ack', 'noop'] as const;
/**
 * What a failure does: follow `maxAttempts` (`'retry'`: `nak` with the
 * `retryBackoff` delay, given up at the last attempt), give it up now
 * (`'deadLetter'`: published to `deadLetterSubject` when set, then
 * `term`), or `ack` it as if it had succeeded (`'ack'`: dropped).
 */
export const NATS_ON_FAILURE = ['retry', 'deadLetter', 'ack'] as const;

/** See {@link NATS_ON_SUCCESS}. */
export type NatsOnSuccess = (typeof NATS_ON_SUCCESS)[number];
/** See {@link NATS_ON_FAILURE}. */
export type NatsOnFailure = (typeof NATS_ON_FAILURE)[number];

/**
 * What `message.configureAck` takes for a NATS message: this message's
 * `onSuccess` and/or `onFailure` (defaults `'ack'` and `'retry'`).
 */
export type NatsAckOptions = {
  readonly onSuccess?: NatsOnSuccess;
  readonly onFailure?: NatsOnFailure;
};

/** `options` checked: throws `ERR_INVALID_OPTIONS` naming a bad key or value. */
export function checkNatsAckOptions(options: Readonly<Record<string, unknown>>): NatsAckOptions {
  const out: { onSuccess?: NatsOnSuccess; onFailure?: NatsOnFailure } = {};
  for (const [key, value] of Object.entries(options)) {
    if (key === 'onSuccess') out.onSuccess = oneOf(key, value, NATS_ON_SUCCESS);
    else if (key === 'onFailure') out.onFailure = oneOf(key, value, NATS_ON_FAILURE);
    else {
      throw new SluiceError(
        'ERR_INVALID_OPTIONS',
        `configureAck: unknown NATS ack option ${key}; expected onSuccess or onFailure`,
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
