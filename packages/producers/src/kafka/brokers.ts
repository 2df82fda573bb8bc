/**
 * How a Kafka client connects when the options do not say: brokers from
 * the `KAFKA_BROKERS` environment variable, and nothing else (no loopback
 * default in production code); the client id `sluice`.
 */

/** The client id the brokers see, for the producer's option and a bare `KafkaJsClient`. */
export const DEFAULT_CLIENT_ID = 'sluice';

/** The environment variable that gives `brokers` when the options do not. */
export const KAFKA_BROKERS_ENV = 'KAFKA_BROKERS';

/** What a missing `brokers` option says. */
export const MISSING_BROKERS = `expected at least one broker, here or in ${KAFKA_BROKERS_ENV}`;

/** `KAFKA_BROKERS` split on commas, or undefined when it is unset or blank. */
export function kafkaBrokersFromEnv(): string[] | undefined {
  const brokers = (process.env[KAFKA_BROKERS_ENV] ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '');
  return brokers.length > 0 ? brokers : undefined;
}
