/**
 * `SqsRun`: what one started SQS producer shares across its instances (its
 * `SqsConsumer`s): the client every call goes through, and the ack
 * machinery (deletes, visibility heartbeats and retry delays,
 * dead-lettering). It lives from `prepareForStart` to the pipeline's stop.
 */
import { Message, type Logger } from '@sluice/core';
import { SqsAcknowledger, type SqsAckData } from './acknowledger.ts';
import { AwsSqsClient } from './aws-sqs-client.ts';
import type { RetryPolicy } from './batch-call.ts';
import type { SqsClient, SqsMessage, SqsMessageAttribute } from './client.ts';
import { Deleter } from './deleter.ts';
import type { ResolvedSqsOptions, SqsClientInput } from './options.ts';
import { TimedSqsClient } from './timed-client.ts';
import { Visibility } from './visibility.ts';

/** The delays between the calls of one ack batch, in ms (`ackAttempts` counts the calls). */
const ACK_BACKOFF = { initial: 100, max: 5000 } as const;

/** What a message from SQS carries in `message.metadata`. */
// A type, not an interface, so it fits Message's `Record<string, unknown>` metadata.
export type SqsMetadata = {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly md5OfBody: string;
  /** The system attributes received, e.g. `ApproximateReceiveCount`, `SentTimestamp`. */
  readonly attributes: Readonly<Record<string, string>>;
  readonly messageAttributes: Readonly<Record<string, SqsMessageAttribute>>;
  /** FIFO queues: the message group, e.g. for `partitionBy`. */
  readonly messageGroupId?: string;
  /** FIFO queues: the message's sequence number in its group. */
  readonly sequenceNumber?: string;
  /** FIFO queues: the deduplication id. */
  readonly messageDeduplicationId?: string;
};

/** What one producer run shares: the client, and the ack machinery. */
export class SqsRun {
  readonly acknowledger: SqsAcknowledger;
  readonly deleter: Deleter;
  readonly visibility: Visibility;
  readonly client: SqsClient;
  readonly #closeClient: () => void;

  /**
   * @param client the client to call, from {@link openClient}
   * @param closeClient closes it on {@link SqsRun.close}
   * @param visibilityTimeout the queue's (or the option's) visibility timeout, in seconds
   */
  constructor(
    options: ResolvedSqsOptions,
    client: SqsClient,
    closeClient: () => void,
    visibilityTimeout: number,
    logger: Logger,
  ) {
    this.client = client;
    this.#closeClient = closeClient;
    // No retryForMs: a budget of the whole visibility timeout let a delete
    // succeed after its message had become visible and been received again
    // (the fault suite's endpoint restart counted 4 such unreported copies).
    // Riding out an outage needs each message's remaining visibility.
    const retry: RetryPolicy = {
      attempts: options.ackAttempts,
      backoff: ACK_BACKOFF,
    };
    const queueUrl = options.queueUrl;
    this.deleter = new Deleter({ client, queueUrl, windowMs: options.ackWindowMs, retry, logger });
    this.visibility = new Visibility({
      client,
      queueUrl,
      visibilityTimeout,
      heartbeat: options.extendVisibility,
      retry,
      logger,
    });
    this.acknowledger = new SqsAcknowledger({
      options,
      deleter: this.deleter,
      visibility: this.visibility,
      deadLetter:
        options.deadLetterQueueUrl === undefined
          ? undefined
          : { client, queueUrl, deadLetterQueueUrl: options.deadLetterQueueUrl, retry, logger },
    });
  }

  /** A received SQS message as a pipeline message, acked through this run. */
  toMessage(m: SqsMessage): Message<string, SqsMetadata> {
    const groupId = m.attributes['MessageGroupId'];
    const sequenceNumber = m.attributes['SequenceNumber'];
    const dedupId = m.attributes['MessageDeduplicationId'];
    return new Message<string, SqsMetadata>({
      data: m.body,
      id: m.messageId,
      acknowledger: this.acknowledger,
      ackRef: this,
      ackData: { message: m } satisfies SqsAckData,
      metadata: {
        messageId: m.messageId,
        receiptHandle: m.receiptHandle,
        md5OfBody: m.md5OfBody,
        attributes: m.attributes,
        messageAttributes: m.messageAttributes,
        ...(groupId !== undefined && { messageGroupId: groupId }),
        ...(sequenceNumber !== undefined && { sequenceNumber }),
        ...(dedupId !== undefined && { messageDeduplicationId: dedupId }),
      },
    });
  }

  /** Sends the deletes still waiting, stops the heartbeat, closes a client we built. */
  async close(): Promise<void> {
    await this.deleter.flush();
    await this.visibility.stop();
    this.#closeClient();
  }
}

/**
 * The client every call goes through: the {@link SqsClient} given, or an
 * {@link AwsSqsClient} built from the `SQSClient` or config given (or from
 * the AWS SDK's defaults), each call bounded by `requestTimeout`. `close`
 * closes only a client built here.
 */
export function openClient(options: ResolvedSqsOptions): { client: SqsClient; close: () => void } {
  const input = options.client;
  if (isSqsClient(input)) {
    return {
      client: new TimedSqsClient(input, options.requestTimeout),
      close: () => undefined,
    };
  }
  const aws = new AwsSqsClient(input);
  return {
    client: new TimedSqsClient(aws, options.requestTimeout),
    close: () => aws.close(),
  };
}

/** True when `input` is an {@link SqsClient} (not an `SQSClient` or its config). */
export function isSqsClient(input: SqsClientInput | undefined): input is SqsClient {
  return typeof (input as Partial<SqsClient> | undefined)?.receiveMessages === 'function';
}
