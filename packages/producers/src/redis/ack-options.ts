/**
 * Per-message ack options of the Redis producer: what
 * `message.configureAck(options)` takes, checked when it is called. The
 * words are shared with the NATS producer (internal/stream-ack-options.ts);
 * what each does at Redis is said here.
 */
import {
  checkStreamAckOptions,
  STREAM_ON_FAILURE,
  STREAM_ON_SUCCESS,
  type StreamAckOptions,
  type StreamOnFailure,
  type StreamOnSuccess,
} from '../internal/stream-ack-options.ts';

/** What a success does: XACK it (`'ack'`), or leave it pending (`'noop'`; claimed again after `claimIdle`). */
export const REDIS_ON_SUCCESS = STREAM_ON_SUCCESS;
/**
 * What a failure does: follow `maxAttempts` (`'retry'`: claimed back after
 * `retryBackoff`, dead-lettered at the last attempt), dead-letter it now
 * (`'deadLetter'`), or XACK it as if it had succeeded (`'ack'`: dropped).
 */
export const REDIS_ON_FAILURE = STREAM_ON_FAILURE;

/** See {@link REDIS_ON_SUCCESS}. */
export type RedisOnSuccess = StreamOnSuccess;
/** See {@link REDIS_ON_FAILURE}. */
export type RedisOnFailure = StreamOnFailure;

/**
 * What `message.configureAck` takes for a Redis message: this message's
 * `onSuccess` and/or `onFailure` (defaults `'ack'` and `'retry'`).
 */
export type RedisAckOptions = StreamAckOptions;

/** `options` checked: throws `ERR_INVALID_OPTIONS` naming a bad key or value. */
export const checkRedisAckOptions = (options: Readonly<Record<string, unknown>>): RedisAckOptions =>
  checkStreamAckOptions(options, 'Redis');
