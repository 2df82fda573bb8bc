/**
 * @sluice/producers/rabbitmq: the RabbitMQ producer, its options and
 * telemetry, the {@link RabbitMqClient} consumer seam and the
 * {@link RabbitMqAdminClient} admin seam, with their amqplib adapter.
 */
export {
  rabbitmqProducer,
  rabbitmqSource,
  type RabbitMqAckOptions,
  type RabbitMqProducer,
} from './producer.ts';
export type { RabbitMqMetadata, RabbitMqProducerStats } from './consumer.ts';
export {
  METADATA_FIELDS,
  ackPolicy,
  failurePolicy,
  rabbitmqOptionsObject,
  rabbitmqOptionsRules,
  rabbitmqOptionsSchema,
  type AckPolicy,
  type FailurePolicy,
  type RabbitMqMetadataField,
  type RabbitMqProducerOptions,
  type ResolvedRabbitMqOptions,
} from './options.ts';
export { ATTEMPTS_HEADER } from './ack-policy.ts';
export {
  DEAD_LETTER_ATTEMPTS_HEADER,
  FAILURE_REASON_HEADER,
  SOURCE_QUEUE_HEADER,
} from './dead-letter.ts';
export {
  rabbitmqChannels,
  type RabbitMqAckEvent,
  type RabbitMqConnectionCloseEvent,
  type RabbitMqConnectionFailureEvent,
  type RabbitMqConnectionOpenEvent,
  type RabbitMqDeadLetterEvent,
  type RabbitMqEventBase,
  type RabbitMqReconnectEvent,
  type RabbitMqRejectEvent,
  type RabbitMqRetryEvent,
  type RabbitMqStaleAcksEvent,
} from './telemetry.ts';
export type {
  RabbitMqChannel,
  RabbitMqClient,
  RabbitMqConnection,
  RabbitMqConsumeOptions,
  RabbitMqExchangeOptions,
  RabbitMqExchangeType,
  RabbitMqMessage,
  RabbitMqPublishOptions,
  RabbitMqQueueInfo,
  RabbitMqQueueOptions,
} from './client.ts';
export type {
  RabbitMqAdminChannel,
  RabbitMqAdminClient,
  RabbitMqAdminConnection,
} from './admin.ts';
export {
  AMQPLIB_RANGE,
  AmqplibClient,
  type AmqplibClientOptions,
  type AmqplibConnect,
} from './amqplib-client.ts';
