/**
 * Per-message ack options of the NATS producer: what
 * `message.configureAck(options)` takes, checked when it is called. The
 * words are shared with the Redis producer (internal/stream-ack-options.ts);
 * what each does at JetStream is said here.
 */
import {
  checkStreamAckOptions,
  STREAM_ON_FAILURE,
  STREAM_ON_SUCCESS,
  type StreamAckOptions,
  type StreamOnFailure,
  type StreamOnSuccess,
} from '../internal/stream-ack-options.ts';

/**
 * What a success does: `ack` it (`'ack'`), or leave it unacked (`'noop'`:
 * JetStream delivers it again after the consumer's `ackWait`).
 */
export const NATS_ON_SUCCESS = STREAM_ON_SUCCESS;
/**
 * What a failure does: follow `maxAttempts` (`'retry'`: `nak` with the
 * `retryBackoff` delay, given up at the last attempt), give it up now
 * (`'deadLetter'`: published to `deadLetterSubject` when set, then
 * `term`), or `ack` it as if it had succeeded (`'ack'`: dropped).
 */
export const NATS_ON_FAILURE = STREAM_ON_FAILURE;

/** See {@link NATS_ON_SUCCESS}. */
export type NatsOnSuccess = StreamOnSuccess;
/** See {@link NATS_ON_FAILURE}. */
export type NatsOnFailure = StreamOnFailure;

/**
 * What `message.configureAck` takes for a NATS message: this message's
 * `onSuccess` and/or `onFailure` (defaults `'ack'` and `'retry'`).
 */
export type NatsAckOptions = StreamAckOptions;

/** `options` checked: throws `ERR_INVALID_OPTIONS` naming a bad key or value. */
export const checkNatsAckOptions = (options: Readonly<Record<string, unknown>>): NatsAckOptions =>
  checkStreamAckOptions(options, 'NATS');
