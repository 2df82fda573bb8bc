/**
 * @sluice/producers/sqs: the SQS producer, the {@link SqsClient} seam it
 * reads through, and the seam's AWS SDK adapter.
 */
export { sqsProducer, sqsSource, type SqsAckOptions, type SqsProducerModule } from './producer.ts';
export type { SqsMetadata } from './run.ts';
export type { SqsClientInput, SqsOnFailure, SqsOnSuccess, SqsProducerOptions } from './options.ts';
export type { SqsAckData } from './acknowledger.ts';
export { ATTEMPTS_ATTRIBUTE, FAILURE_REASON_ATTRIBUTE } from './dead-letter.ts';
export {
  sqsChannels,
  type SqsDeadLetterEvent,
  type SqsDeleteEvent,
  type SqsEntryFailure,
  type SqsEventBase,
  type SqsReceiveExceptionEvent,
  type SqsReceiveStartEvent,
  type SqsReceiveStopEvent,
  type SqsVisibilityEvent,
} from './telemetry.ts';
export type {
  SqsAdmin,
  SqsBatchFailure,
  SqsBatchResult,
  SqsBatchSuccess,
  SqsClient,
  SqsDeleteEntry,
  SqsMessage,
  SqsMessageAttribute,
  SqsReceiveOptions,
  SqsSendEntry,
  SqsVisibilityEntry,
} from './client.ts';
export { AwsSqsClient } from './aws-sqs-client.ts';
