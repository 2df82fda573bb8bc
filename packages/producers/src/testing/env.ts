/**
 * Where the test brokers are: `SQS_ENDPOINT`, `KAFKA_BROKERS` and
 * `AMQP_URL`, each with a loopback default that matches `npm run
 * brokers:up` and docker-compose.yml. Tests, examples and the broker
 * fixtures read them through {@link brokerEnv}; the producers themselves
 * have no loopback default.
 */

/** Default of `SQS_ENDPOINT`: ElasticMQ on loopback. */
export const DEFAULT_SQS_ENDPOINT = 'http://127.0.0.1:9324';
/** Default of `KAFKA_BROKERS`: one Kafka broker on loopback. */
export const DEFAULT_KAFKA_BROKERS: readonly string[] = ['127.0.0.1:9092'];
/** Default of `AMQP_URL`: RabbitMQ on loopback with the guest user. */
export const DEFAULT_AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';

/** Default of `NATS_URL`: NATS with JetStream on loopback. */
export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

/** The broker addresses in effect, from {@link brokerEnv}. */
export interface BrokerEnv {
  /** `SQS_ENDPOINT`: the SQS API endpoint, e.g. `http://127.0.0.1:9324`. */
  readonly sqsEndpoint: string;
  /** `KAFKA_BROKERS`, split on commas: bootstrap brokers as `host:port`. */
  readonly kafkaBrokers: readonly string[];
  /** `AMQP_URL`: the RabbitMQ URL, credentials included. */
  readonly amqpUrl: string;
  /** `NATS_URL`: the NATS server, e.g. `nats://127.0.0.1:4222`. */
  readonly natsUrl: string;
}

/**
 * Reads `SQS_ENDPOINT`, `KAFKA_BROKERS` (comma-separated) and `AMQP_URL`.
 * A variable that is unset or blank gives its loopback default.
 *
 * @example
 * ```ts
 * const { kafkaBrokers } = brokerEnv(); // ['127.0.0.1:9092'] unless KAFKA_BROKERS is set
 * ```
 */
export function brokerEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
): BrokerEnv {
  const kafka = (env['KAFKA_BROKERS'] ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '');
  return {
    sqsEndpoint: nonBlank(env['SQS_ENDPOINT']) ?? DEFAULT_SQS_ENDPOINT,
    kafkaBrokers: kafka.length > 0 ? kafka : DEFAULT_KAFKA_BROKERS,
    amqpUrl: nonBlank(env['AMQP_URL']) ?? DEFAULT_AMQP_URL,
    natsUrl: nonBlank(env['NATS_URL']) ?? DEFAULT_NATS_URL,
  };
}

function nonBlank(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}
