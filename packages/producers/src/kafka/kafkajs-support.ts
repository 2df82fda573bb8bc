/**
 * What the kafkajs adapter files share: loading kafkajs, the client they
 * borrow from `KafkaJsClient`, and turning kafkajs errors into
 * {@link BrokerError}s that name the topic or the brokers and keep the
 * kafkajs error as `cause`.
 */
import type * as KafkaJsModule from 'kafkajs';
import type { Kafka } from 'kafkajs';
import type { BrokerError } from '../errors.ts';
import { isNetworkError, messageOf } from '../internal/error-helpers.ts';
import { loadLibrary } from '../internal/load-library.ts';
import { kafkaBrokerError, type KafkaErrorReading } from './broker-error.ts';

/** The kafkajs module, as `require('kafkajs')` returns it. */
export type KafkaJs = typeof KafkaJsModule;

/** kafkajs, loaded at first use: a `SluiceError` `ERR_MISSING_LIBRARY` when it is not installed. */
export function loadKafkaJs(): KafkaJs {
  return loadLibrary<KafkaJs>('kafkajs', '2.2.4', 'Kafka');
}

/** Runs one kafkajs request, its failure turned into a {@link BrokerError}. */
export type KafkaJsCall = <T>(
  operation: string,
  topic: string | undefined,
  run: () => Promise<T>,
) => Promise<T>;

/** What the admin client, publisher and readers borrow from their `KafkaJsClient`. */
export interface KafkaJsContext {
  readonly kafka: Kafka;
  readonly call: KafkaJsCall;
  readonly toError: (error: unknown, operation: string, topic: string | undefined) => BrokerError;
}

/** A kafkajs error as a {@link BrokerError}; `brokers` names the cluster in messages. */
export function toBrokerError(
  error: unknown,
  operation: string,
  topic: string | undefined,
  brokers: string,
): BrokerError {
  return kafkaBrokerError(error, readKafkaJsError, operation, topic, brokers);
}

function readKafkaJsError(error: unknown): KafkaErrorReading {
  return {
    topicMissing: hasProtocolType(error, 'UNKNOWN_TOPIC_OR_PARTITION'),
    unreachable: isUnreachable(error),
    text: messageOf(error),
  };
}

/** True when `error` or an error in its `cause` chain is a kafkajs protocol error of `type`. */
export function hasProtocolType(error: unknown, type: string): boolean {
  for (let e = error, depth = 0; e && depth < 5; depth++) {
    if ((e as { type?: unknown }).type === type) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

function isUnreachable(error: unknown): boolean {
  for (let e = error, depth = 0; e && depth < 5; depth++) {
    const name = (e as { name?: unknown }).name;
    if (name === 'KafkaJSConnectionError' || name === 'KafkaJSBrokerNotFound') return true;
    e = (e as { cause?: unknown }).cause;
  }
  return isNetworkError(error);
}
