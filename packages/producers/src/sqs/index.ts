/**
 * @sluice/producers/sqs: the {@link SqsClient} seam and its AWS SDK adapter.
 * The SQS producer will live here too.
 */
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
export { AwsSqsClient, sqsClientConfigFromEnv } from './aws-sqs-client.ts';
