/**
 * @sluice/producers/rabbitmq: the RabbitMQ producer, its telemetry, and the
 * {@link RabbitMqClient} seam with its amqplib adapter.
 */
export { rabbitmqProducer, type RabbitMqProducer } from './producer.ts';
export type { RabbitMqMetadata, RabbitMqProducerStats } from './consumer.ts';
export {
  METADATA_FIELDS,
  rabbitmqOptionsObject,
  rabbitmqOptionsRules,
  type RabbitMqMetadataField,
  type RabbitMqProducerOptions,
} from './options.ts';
export { ATTEMPTS_HEADER, type AckPolicy, type FailurePolicy } from './ack-policy.ts';
export {
  rabbitmqChannels,
  type RabbitMqAckEvent,
  type RabbitMqConnectionCloseEvent,
  type RabbitMqConnectionFailureEvent,
  type RabbitMqConnectionOpenEvent,
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
export { AmqplibClient, type AmqplibClientOptions, type AmqplibConnect } from './amqplib-client.ts';
