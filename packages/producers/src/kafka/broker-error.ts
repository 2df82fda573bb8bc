/**
 * The one place a Kafka client library's failure becomes a
 * {@link BrokerError}: each adapter says what its library's error means
 * (a missing topic? an unreachable cluster?) and how to describe it; the
 * codes and messages are the same whichever library raised it.
 */
import { BrokerError } from '../errors.ts';

/** What an adapter read from its library's error. */
export interface KafkaErrorReading {
  /** The library says the topic (or partition, or topic id) does not exist. */
  readonly topicMissing: boolean;
  /** The cluster could not be reached (refused, reset, DNS, timed out connecting). */
  readonly unreachable: boolean;
  /** The error's text for the message. */
  readonly text: string;
}

/**
 * `error` as a {@link BrokerError} naming the operation and the topic or the
 * brokers, the library's error kept as `cause`: `ERR_TOPIC_NOT_FOUND`,
 * `ERR_BROKER_UNREACHABLE` or `ERR_BROKER_REQUEST`. A `BrokerError` passes
 * through unchanged.
 */
export function kafkaBrokerError(
  error: unknown,
  reading: (error: unknown) => KafkaErrorReading,
  operation: string,
  topic: string | undefined,
  brokers: string,
): BrokerError {
  if (error instanceof BrokerError) return error;
  const { topicMissing, unreachable, text } = reading(error);
  if (topic !== undefined && topicMissing) {
    return new BrokerError(
      'ERR_TOPIC_NOT_FOUND',
      'kafka',
      `Kafka topic ${topic} does not exist (${operation})`,
      { cause: error },
    );
  }
  if (unreachable) {
    return new BrokerError(
      'ERR_BROKER_UNREACHABLE',
      'kafka',
      `cannot reach Kafka at ${brokers} (${operation}): ${text}`,
      { cause: error },
    );
  }
  const on = topic === undefined ? '' : ` on topic ${topic}`;
  return new BrokerError('ERR_BROKER_REQUEST', 'kafka', `Kafka ${operation}${on} failed: ${text}`, {
    cause: error,
  });
}
