/**
 * @sluice/producers/kafka: the {@link KafkaClient} seam and its kafkajs
 * adapter. The Kafka producer will live here too.
 */
export type {
  KafkaAdminClient,
  KafkaClient,
  KafkaCommittedOffset,
  KafkaOutgoingMessage,
  KafkaPartitionOffsets,
  KafkaPublisher,
  KafkaRecord,
  KafkaRecordMetadata,
  KafkaTopicSpec,
} from './client.ts';
export { KafkaJsClient } from './kafkajs-client.ts';
