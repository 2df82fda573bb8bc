/**
 * Per-message ack options shared by the stream producers (Redis Streams,
 * NATS JetStream): what `message.configureAck(options)` takes, checked when
 * it is called. The words are the same for both; what each does at the
 * server is documented in the producer's own ack-options.ts.
 */
import { SluiceError } from '@sluice/core';

/** What a success may do: `'ack'` it, or leave it for the server to deliver again (`'noop'`). */
export const STREAM_ON_SUCCESS = ['ack', 'noop'] as const;
/** What a failure may do: follow `maxAttempts` (`'retry'`), give it up now (`'deadLetter'`), or drop it (`'ack'`). */
export const STREAM_ON_FAILURE = ['retry', 'deadLetter', 'ack'] as const;

/** See {@link STREAM_ON_SUCCESS}. */
export type StreamOnSuccess = (typeof STREAM_ON_SUCCESS)[number];
/** See {@link STREAM_ON_FAILURE}. */
export type StreamOnFailure = (typeof STREAM_ON_FAILURE)[number];

/** A stream message's own ack options; what is left out keeps the producer's default. */
export type StreamAckOptions = {
  readonly onSuccess?: StreamOnSuccess;
  readonly onFailure?: StreamOnFailure;
};

/**
 * `options` checked: throws `ERR_INVALID_OPTIONS` naming a bad key or value;
 * `broker` names the producer in the message (`Redis`, `NATS`).
 */
export function checkStreamAckOptions(
  options: Readonly<Record<string, unknown>>,
  broker: string,
): StreamAckOptions {
  const out: { onSuccess?: StreamOnSuccess; onFailure?: StreamOnFailure } = {};
  for (const [key, value] of Object.entries(options)) {
    if (key === 'onSuccess') out.onSuccess = oneOf(key, value, STREAM_ON_SUCCESS);
    else if (key === 'onFailure') out.onFailure = oneOf(key, value, STREAM_ON_FAILURE);
    else {
      throw new SluiceError(
        'ERR_INVALID_OPTIONS',
        `configureAck: unknown ${broker} ack option ${key}; expected onSuccess or onFailure`,
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
