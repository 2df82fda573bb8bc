/**
 * {@link KafkaClient} over @platformatic/kafka 1.x, a Kafka client written
 * in TypeScript with no native parts. The library is loaded when the first
 * client is made, so importing `@sluice/producers/kafka` without it
 * installed works, and making a client throws `ERR_MISSING_LIBRARY`. Only
 * the `platformatic-*` files use it.
 *
 * It implements the producer's seam only: topic and group administration
 * for fixtures (`KafkaAdmin`) stays with `KafkaJsClient`.
 */
import { InvalidOptionsError } from '@sluice/core';
import { DEFAULT_CLIENT_ID, kafkaBrokersFromEnv, MISSING_BROKERS } from './brokers.ts';
import type {
  KafkaClient,
  KafkaConsumerHandlers,
  KafkaConsumerOptions,
  KafkaGroupConsumer,
  KafkaMetadataClient,
  KafkaPublisher,
  KafkaPublisherOptions,
} from './client.ts';
import { PlatformaticMetadata } from './platformatic-admin.ts';
import type { KafkaGroupProtocol } from './membership.ts';
import { PlatformaticGroupConsumer } from './platformatic-consumer.ts';
import { chooseProtocol } from './platformatic-membership.ts';
import {
  PlatformaticPublisher,
  PlatformaticTransactionalPublisher,
} from './platformatic-publisher.ts';
import type {
  KafkaTransactionalPublisher,
  KafkaTransactionalPublisherOptions,
} from './transactions.ts';
import {
  connectionOptions,
  loadPlatformatic,
  toBrokerError,
  type PlatformaticConnection,
} from './platformatic-support.ts';

/** How a {@link PlatformaticClient} connects. */
export interface PlatformaticClientConfig {
  /** Bootstrap brokers, `host:port`; else `KAFKA_BROKERS`. */
  readonly brokers?: readonly string[];
  /** @defaultValue `'sluice'` */
  readonly clientId?: string;
  /** TLS: `true`, or options for `tls.connect`. */
  readonly ssl?: boolean | Readonly<Record<string, unknown>>;
  readonly sasl?: {
    readonly mechanism: string;
    readonly username: string;
    readonly password: string;
  };
}

/**
 * A {@link KafkaClient} backed by @platformatic/kafka: what
 * `kafkaProducer({ client: 'platformatic' })` uses.
 *
 * @example
 * ```ts
 * const client = new PlatformaticClient({ brokers: ['kafka-1:9092'] });
 * const orders = kafkaProducer({ client, groupId: 'billing', topics: ['orders'] });
 * ```
 */
export class PlatformaticClient implements KafkaClient {
  readonly #connection: PlatformaticConnection;
  readonly #brokers: string;

  constructor(config: PlatformaticClientConfig = {}) {
    loadPlatformatic();
    const brokers = config.brokers ?? kafkaBrokersFromEnv();
    if (brokers === undefined) {
      const issue = { path: 'brokers', message: MISSING_BROKERS, value: undefined };
      throw new InvalidOptionsError(
        'PlatformaticClient config',
        [issue],
        [`brokers: ${MISSING_BROKERS}, got undefined`],
      );
    }
    this.#brokers = brokers.join(',');
    const ssl = config.ssl;
    this.#connection = {
      clientId: config.clientId ?? DEFAULT_CLIENT_ID,
      bootstrapBrokers: [...brokers],
      ...(ssl !== undefined && ssl !== false && { tls: ssl === true ? {} : { ...ssl } }),
      ...(config.sasl !== undefined && { sasl: { ...config.sasl } }),
    };
  }

  admin(): Promise<KafkaMetadataClient> {
    const admin = new (loadPlatformatic().Admin)(connectionOptions(this.#connection) as never);
    return Promise.resolve(
      new PlatformaticMetadata(admin, (error, operation, topic) =>
        toBrokerError(error, operation, topic, this.#brokers),
      ),
    );
  }

  publisher(publisherOptions: KafkaPublisherOptions = {}): Promise<KafkaPublisher> {
    const options = {
      ...connectionOptions(this.#connection),
      autocreateTopics: false,
      ...(publisherOptions.idempotent === true && { idempotent: true }),
      ...(publisherOptions.retries !== undefined && { retries: publisherOptions.retries }),
    };
    const producer = new (loadPlatformatic().Producer)(options as never);
    return Promise.resolve(
      new PlatformaticPublisher(producer, (error, operation, topic) =>
        toBrokerError(error, operation, topic, this.#brokers),
      ),
    );
  }

  async checkGroupProtocol(groupId: string, protocol: KafkaGroupProtocol): Promise<void> {
    if (protocol !== 'consumer') return;
    const lib = loadPlatformatic();
    try {
      await chooseProtocol(lib, connectionOptions(this.#connection), groupId, protocol);
    } catch (error) {
      if (error instanceof InvalidOptionsError) throw error;
      throw toBrokerError(error, 'check groupProtocol', undefined, this.#brokers);
    }
  }

  transactionalPublisher(
    options: KafkaTransactionalPublisherOptions,
  ): Promise<KafkaTransactionalPublisher> {
    const lib = loadPlatformatic();
    const base = connectionOptions(this.#connection);
    const producer = new lib.Producer({
      ...base,
      autocreateTopics: false,
      idempotent: true,
      transactionalId: options.transactionalId,
      // The library sends its request timeout as the transaction timeout.
      timeout: options.transactionTimeout,
      ...(options.retries !== undefined && { retries: options.retries }),
    } as never);
    return Promise.resolve(
      new PlatformaticTransactionalPublisher(
        producer,
        () => new lib.Admin(base as never),
        (error, operation, topic) => toBrokerError(error, operation, topic, this.#brokers),
      ),
    );
  }

  consumer(options: KafkaConsumerOptions, handlers: KafkaConsumerHandlers): KafkaGroupConsumer {
    const topics = options.topics.join(',');
    return new PlatformaticGroupConsumer(this.#connection, options, handlers, (error, operation) =>
      toBrokerError(error, operation, topics, this.#brokers),
    );
  }
}
