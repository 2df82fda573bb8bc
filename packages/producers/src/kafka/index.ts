/**
 * @sluice/producers/kafka: `kafkaProducer`, the {@link KafkaClient} seam,
 * the {@link KafkaAdmin} interface for fixtures and tools, and their kafkajs
 * adapter. Another client library plugs in by implementing `KafkaClient`
 * (see client.ts).
 */
export { kafkaProducer, kafkaSource, type KafkaProducerModule } from './producer.ts';
export {
  kafkaOptionsObject,
  kafkaOptionsRules,
  kafkaOptionsSchema,
  type KafkaClientLibrary,
  type KafkaOnFailure,
  type KafkaOrdering,
  type KafkaProducerOptions,
  type KafkaSasl,
} from './options.ts';
export type { HaltedPartition, KafkaMessageMetadata } from './message.ts';
export { OffsetTracker } from './offset-tracker.ts';
export {
  kafkaChannels,
  type KafkaCommitEvent,
  type KafkaDlqEvent,
  type KafkaErrorEvent,
  type KafkaEventBase,
  type KafkaFetchEvent,
  type KafkaHaltEvent,
  type KafkaLagEvent,
  type KafkaLateAckEvent,
  type KafkaPauseEvent,
  type KafkaRebalanceEvent,
  type KafkaRetryEvent,
} from './telemetry.ts';
export type {
  KafkaClient,
  KafkaConsumerHandlers,
  KafkaConsumerOptions,
  KafkaFetchedBatch,
  KafkaFetchedRecord,
  KafkaGroupConsumer,
  KafkaGroupPartitionOffsets,
  KafkaMetadataClient,
  KafkaOutgoingMessage,
  KafkaPublisher,
  KafkaPublisherOptions,
  KafkaRecordMetadata,
  RawHeaderValue,
  KafkaTopicPartition,
} from './client.ts';
export type {
  KafkaAdmin,
  KafkaAdminClient,
  KafkaCommittedOffset,
  KafkaPartitionOffsets,
  KafkaRecord,
  KafkaTopicSpec,
} from './admin.ts';
export { KafkaJsClient } from './kafkajs-client.ts';
export { PlatformaticClient, type PlatformaticClientConfig } from './platformatic-client.ts';
export {
  kafkaTransactionalSource,
  MemberTransactions,
  type CommitOffset,
  type KafkaTransaction,
  type KafkaTransactionalPublisher,
  type KafkaTransactionalPublisherOptions,
  type KafkaTransactionalSource,
} from './transactions.ts';
export { ATTEMPTS_HEADER, FAILURE_REASON_HEADER } from './headers.ts';
