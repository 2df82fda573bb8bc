/**
 * The OpenTelemetry messaging semantic conventions' names that Sluice
 * uses, written out here so the package needs no conventions library (the
 * messaging ones are still "incubating" there and move between releases).
 */

/** `messaging.system`, e.g. `kafka`, `rabbitmq`, `aws_sqs`. */
export const MESSAGING_SYSTEM = 'messaging.system';
export const MESSAGING_DESTINATION_NAME = 'messaging.destination.name';
export const MESSAGING_DESTINATION_PARTITION_ID = 'messaging.destination.partition.id';
export const MESSAGING_OPERATION_TYPE = 'messaging.operation.type';
export const MESSAGING_OPERATION_NAME = 'messaging.operation.name';
export const MESSAGING_CONSUMER_GROUP_NAME = 'messaging.consumer.group.name';
export const MESSAGING_MESSAGE_ID = 'messaging.message.id';
export const MESSAGING_BATCH_MESSAGE_COUNT = 'messaging.batch.message_count';
export const MESSAGING_KAFKA_OFFSET = 'messaging.kafka.offset';
export const MESSAGING_RABBITMQ_ROUTING_KEY = 'messaging.rabbitmq.destination.routing_key';
export const MESSAGING_RABBITMQ_DELIVERY_TAG = 'messaging.rabbitmq.message.delivery_tag';
export const ERROR_TYPE = 'error.type';

/** Sluice's own attributes: the pipeline, and the stage that did the work. */
export const SLUICE_PIPELINE = 'sluice.pipeline';
export const SLUICE_PROCESSOR = 'sluice.processor';
export const SLUICE_BATCHER = 'sluice.batcher';

/** The metrics' names. */
export const METRIC_PROCESS_DURATION = 'messaging.process.duration';
export const METRIC_CONSUMED_MESSAGES = 'messaging.client.consumed.messages';
export const METRIC_OPERATION_DURATION = 'messaging.client.operation.duration';

/** The conventions' advice for the duration histograms' buckets, in seconds. */
export const DURATION_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
];

/** `error.type` when nothing more precise is known. */
export const OTHER_ERROR = '_OTHER';
