/**
 * @sluice/producers/kafka: `kafkaProducer`, the {@link KafkaClient} seam and
 * its kafkajs adapter. Another client library plugs in by implementing
 * `KafkaClient` (see client.ts).
 */
export { kafkaProducer, type KafkaProducerModule } from './producer.ts';
export {
  kafkaOptionsObject,
  kafkaOptionsRules,
  type KafkaProducerOptions,
  type KafkaSasl,
} from './options.ts';
export type { HaltedPartition, KafkaMessageMetadata } from './member.ts';
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
  KafkaAdminClient,
  KafkaClient,
  KafkaCommittedOffset,
  KafkaConsumerHandlers,
  KafkaConsumerOptions,
  KafkaFetchedBatch,
  KafkaFetchedRecord,
  KafkaGroupConsumer,
  KafkaOutgoingMessage,
  KafkaPartitionOffsets,
  KafkaPublisher,
  KafkaRecord,
  KafkaRecordMetadata,
  RawHeaderValue,
  KafkaTopicPartition,
  KafkaTopicSpec,
} from './client.ts';
export { KafkaJsClient } from './kafkajs-client.ts';
