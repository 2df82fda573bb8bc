/**
 * Errors from the broker adapters. Each wire library has its own error
 * shapes; the adapters turn them into one {@link BrokerError} with a stable
 * `code`, a message that names the broker, queue or topic, and the library's
 * original error as `cause`.
 */
import { SluiceError } from '@sluice/core';

/**
 * The stable codes carried by {@link BrokerError}. Codes are never reused for
 * a different meaning.
 *
 * - `ERR_BROKER_UNREACHABLE`: no connection to the broker (refused, DNS, timeout).
 * - `ERR_BROKER_CLOSED`: the connection or channel was closed; open a new one.
 * - `ERR_QUEUE_NOT_FOUND`: the SQS or RabbitMQ queue does not exist.
 * - `ERR_TOPIC_NOT_FOUND`: the Kafka topic does not exist.
 * - `ERR_EXCHANGE_NOT_FOUND`: the RabbitMQ exchange does not exist.
 * - `ERR_BROKER_REQUEST`: the broker answered with any other error.
 * - `ERR_BROKER_TIMEOUT`: the broker did not answer within the producer's
 *   `requestTimeout`; the call was abandoned (and aborted where the library can).
 */
export type BrokerErrorCode =
  | 'ERR_BROKER_UNREACHABLE'
  | 'ERR_BROKER_CLOSED'
  | 'ERR_QUEUE_NOT_FOUND'
  | 'ERR_TOPIC_NOT_FOUND'
  | 'ERR_EXCHANGE_NOT_FOUND'
  | 'ERR_BROKER_REQUEST'
  | 'ERR_BROKER_TIMEOUT';

/** The broker an error or a fixture is about. */
export type BrokerKind = 'sqs' | 'kafka' | 'rabbitmq' | 'redis' | 'nats';

/** Thrown by the broker adapters. Check `code`, not the message. */
export class BrokerError extends SluiceError<BrokerErrorCode> {
  /** Which broker the failed operation talked to. */
  readonly broker: BrokerKind;

  constructor(code: BrokerErrorCode, broker: BrokerKind, message: string, options?: ErrorOptions) {
    super(code, message, options);
    this.name = 'BrokerError';
    this.broker = broker;
  }
}

/** True when `error` is a {@link BrokerError}, optionally with the given `code`. */
export function isBrokerError(error: unknown, code?: BrokerErrorCode): error is BrokerError {
  return error instanceof BrokerError && (code === undefined || error.code === code);
}
