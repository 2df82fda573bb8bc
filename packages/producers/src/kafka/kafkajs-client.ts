/**
 * {@link KafkaClient} and {@link KafkaAdmin} over kafkajs 2.2. kafkajs is
 * loaded when the first client is made, so importing
 * `@sluice/producers/kafka` without it installed works, and making a client
 * throws `ERR_MISSING_LIBRARY`. Only the `kafkajs-*` files use kafkajs.
 *
 * The client reads kafkajs's log for connection errors, so that a consumer
 * hears of an outage at once rather than when kafkajs gives up retrying,
 * about 10 s later; a `logCreator` in the config still gets every entry, and
 * without one nothing else is logged.
 */
import { InvalidOptionsError } from '@sluice/core';
import type { Kafka, KafkaConfig, LogEntry, logLevel as LogLevel } from 'kafkajs';
import { BrokerError } from '../errors.ts';
import type { KafkaAdmin, KafkaAdminClient, KafkaRecord } from './admin.ts';
import type {
  KafkaClient,
  KafkaConsumerHandlers,
  KafkaConsumerOptions,
  KafkaGroupConsumer,
  KafkaPublisher,
  KafkaPublisherOptions,
} from './client.ts';
import { connectKafkaJsAdmin } from './kafkajs-admin.ts';
import { KafkaJsGroupConsumer } from './kafkajs-consumer.ts';
import { KafkaJsPublisher, KafkaJsTransactionalPublisher } from './kafkajs-publisher.ts';
import type {
  KafkaTransactionalPublisher,
  KafkaTransactionalPublisherOptions,
} from './transactions.ts';
import { readKafkaTopic } from './kafkajs-reader.ts';
import { loadKafkaJs, toBrokerError, type KafkaJsContext } from './kafkajs-support.ts';
import { DEFAULT_CLIENT_ID, kafkaBrokersFromEnv, MISSING_BROKERS } from './brokers.ts';

/** Connection failures are reported at most this often. */
const UNREACHABLE_REPORT_MS = 10_000;

/**
 * A {@link KafkaClient} (and {@link KafkaAdmin}) backed by kafkajs.
 *
 * @example
 * ```ts
 * const kafka = new KafkaJsClient();                                 // brokers from KAFKA_BROKERS
 * const kafka = new KafkaJsClient({ brokers: ['kafka-1:9092'], ssl: true });
 * const kafka = new KafkaJsClient(new Kafka({ brokers }));          // your own kafkajs instance
 * ```
 */
export class KafkaJsClient implements KafkaClient, KafkaAdmin {
  readonly #context: KafkaJsContext;
  readonly #brokers: string;
  /** Running consumers' error handlers, told when a broker connection fails. */
  readonly #onUnreachable = new Set<(error: BrokerError) => void>();
  #lastUnreachable = 0;

  /**
   * @param kafkaOrConfig a kafkajs `Kafka`, or config for one. Missing
   * `brokers` come from `KAFKA_BROKERS` (one of them is required);
   * `clientId` defaults to `sluice`.
   */
  constructor(kafkaOrConfig: Kafka | Partial<KafkaConfig> = {}) {
    const kafkajs = loadKafkaJs();
    let kafka: Kafka;
    if (isKafka(kafkaOrConfig)) {
      kafka = kafkaOrConfig;
      this.#brokers = 'the Kafka cluster';
    } else {
      const config = this.#config(kafkaOrConfig, kafkajs.logLevel);
      kafka = new kafkajs.Kafka(config);
      this.#brokers = Array.isArray(config.brokers)
        ? config.brokers.join(',')
        : 'the Kafka cluster';
    }
    const toError = (error: unknown, operation: string, topic: string | undefined) =>
      toBrokerError(error, operation, topic, this.#brokers);
    this.#context = {
      kafka,
      toError,
      call: async (operation, topic, run) => {
        try {
          return await run();
        } catch (error) {
          throw toError(error, operation, topic);
        }
      },
    };
  }

  admin(): Promise<KafkaAdminClient> {
    return connectKafkaJsAdmin(this.#context);
  }

  async publisher(options: KafkaPublisherOptions = {}): Promise<KafkaPublisher> {
    const { kafka, call } = this.#context;
    const producer = kafka.producer({
      allowAutoTopicCreation: false,
      createPartitioner: loadKafkaJs().Partitioners.DefaultPartitioner,
      ...(options.idempotent === true && { idempotent: true, maxInFlightRequests: 1 }),
      ...(options.retries !== undefined && { retry: { retries: options.retries } }),
    });
    await call('connect', undefined, () => producer.connect());
    return new KafkaJsPublisher(producer, call);
  }

  async transactionalPublisher(
    options: KafkaTransactionalPublisherOptions,
  ): Promise<KafkaTransactionalPublisher> {
    const { kafka, call } = this.#context;
    const producer = kafka.producer({
      allowAutoTopicCreation: false,
      createPartitioner: loadKafkaJs().Partitioners.DefaultPartitioner,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionalId: options.transactionalId,
      transactionTimeout: options.transactionTimeout,
      ...(options.retries !== undefined && { retry: { retries: options.retries } }),
    });
    await call('connect', undefined, () => producer.connect());
    return new KafkaJsTransactionalPublisher(producer, call);
  }

  consumer(options: KafkaConsumerOptions, handlers: KafkaConsumerHandlers): KafkaGroupConsumer {
    const onUnreachable = (error: BrokerError): void => handlers.onError(error);
    const topics = options.topics.join(',');
    return new KafkaJsGroupConsumer(this.#context.kafka, options, handlers, {
      toError: (error, operation) => this.#context.toError(error, operation, topics),
      watch: (on) => {
        if (on) this.#onUnreachable.add(onUnreachable);
        else this.#onUnreachable.delete(onUnreachable);
      },
    });
  }

  async readTopic(
    topic: string,
    options: { readonly timeoutMs?: number } = {},
  ): Promise<KafkaRecord[]> {
    return readKafkaTopic(this.#context, await this.admin(), topic, options);
  }

  /**
   * The kafkajs config: brokers from `KAFKA_BROKERS` when not given, and
   * kafkajs's log read for outages. Without a logCreator of the caller's,
   * ours takes the log alone, at ERROR unless they chose a level; with one,
   * both see every entry. A logLevel alone keeps kafkajs's console logger,
   * and then only thrown errors are reported.
   */
  #config(given: Partial<KafkaConfig>, levels: typeof LogLevel): KafkaConfig {
    const brokers = given.brokers ?? kafkaBrokersFromEnv();
    if (brokers === undefined) {
      const issue = { path: 'brokers', message: MISSING_BROKERS, value: undefined };
      throw new InvalidOptionsError(
        'KafkaJsClient config',
        [issue],
        [`brokers: ${MISSING_BROKERS}, got undefined`],
      );
    }
    const theirs = given.logCreator;
    const watchLog = theirs !== undefined || given.logLevel === undefined;
    return {
      clientId: DEFAULT_CLIENT_ID,
      ...given,
      brokers,
      // Last, so that `logCreator: undefined` in the config does not undo it.
      ...(watchLog && {
        logLevel: given.logLevel ?? (theirs === undefined ? levels.ERROR : levels.INFO),
        logCreator: (level: LogLevel) => {
          const log = theirs?.(level);
          return (entry: LogEntry) => {
            this.#onLog(entry);
            log?.(entry);
          };
        },
      }),
    };
  }

  /**
   * kafkajs logs a failed connection at once, while the request waits in
   * its retries. That is the first sign of an outage: running consumers hear
   * of it as ERR_BROKER_UNREACHABLE, at most once every 10 s.
   */
  #onLog(entry: LogEntry): void {
    const message = entry.log.message;
    if (entry.namespace !== 'Connection' || !/^Connection (error|timeout)/.test(message)) return;
    if (this.#onUnreachable.size === 0) return;
    const now = Date.now();
    if (now - this.#lastUnreachable < UNREACHABLE_REPORT_MS) return;
    this.#lastUnreachable = now;
    const broker = typeof entry.log['broker'] === 'string' ? entry.log['broker'] : this.#brokers;
    const error = new BrokerError(
      'ERR_BROKER_UNREACHABLE',
      'kafka',
      `cannot reach Kafka at ${broker} (connect): ${message}; kafkajs keeps retrying`,
    );
    for (const report of this.#onUnreachable) report(error);
  }
}

function isKafka(value: Kafka | Partial<KafkaConfig>): value is Kafka {
  return typeof (value as { admin?: unknown }).admin === 'function';
}
