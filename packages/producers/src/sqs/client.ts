/**
 * The seam between Sluice and an SQS client library: what the SQS producer
 * and the SQS test fixtures need, and nothing else. `AwsSqsClient` implements
 * it with `@aws-sdk/client-sqs`; tests can implement it in memory.
 *
 * Every method takes the queue URL, so one client serves any number of queues.
 * Failures reject with a `BrokerError` (`ERR_QUEUE_NOT_FOUND`,
 * `ERR_BROKER_UNREACHABLE`, `ERR_BROKER_REQUEST`); an aborted receive rejects
 * with the `AbortError` itself.
 *
 * Every call takes an optional `signal`: the producer aborts a call that
 * outlived its `requestTimeout` (it has already failed it with
 * `ERR_BROKER_TIMEOUT`), and an implementation should give up the request
 * then. One that ignores the signal is still bounded, its late outcome ignored.
 */

/** An SQS client: receive, acknowledge, retry and send messages. */
export interface SqsClient {
  /** One ReceiveMessage call (a long poll when `waitTimeSeconds` > 0). */
  receiveMessages(queueUrl: string, options: SqsReceiveOptions): Promise<SqsMessage[]>;
  /** Deletes up to 10 messages (acknowledges them). */
  deleteMessageBatch(
    queueUrl: string,
    entries: readonly SqsDeleteEntry[],
    options?: SqsCallOptions,
  ): Promise<SqsBatchResult>;
  /** Changes the visibility timeout of up to 10 messages (0: visible again now). */
  changeMessageVisibilityBatch(
    queueUrl: string,
    entries: readonly SqsVisibilityEntry[],
    options?: SqsCallOptions,
  ): Promise<SqsBatchResult>;
  /** Sends up to 10 messages. */
  sendMessageBatch(
    queueUrl: string,
    entries: readonly SqsSendEntry[],
    options?: SqsCallOptions,
  ): Promise<SqsBatchResult>;
  /** Queue attributes by name, e.g. `QueueArn`, `ApproximateNumberOfMessages`, `RedrivePolicy`. */
  getQueueAttributes(
    queueUrl: string,
    names: readonly string[],
    options?: SqsCallOptions,
  ): Promise<Record<string, string>>;
}

/** Per-call options of the {@link SqsClient} methods. */
export interface SqsCallOptions {
  /** Aborts the request (the caller has given up on it). */
  readonly signal?: AbortSignal;
}

/** Queue management, for fixtures and tools; a producer does not need it. */
export interface SqsAdmin {
  /** Creates the queue (or returns the existing one with the same attributes); resolves to its URL. */
  createQueue(name: string, attributes?: Readonly<Record<string, string>>): Promise<string>;
  deleteQueue(queueUrl: string): Promise<void>;
  getQueueUrl(name: string): Promise<string>;
  /** URLs of the queues whose name starts with `prefix` (all queues without one). */
  listQueues(prefix?: string): Promise<string[]>;
  purgeQueue(queueUrl: string): Promise<void>;
}

/** Options of {@link SqsClient.receiveMessages}. */
export interface SqsReceiveOptions {
  /** 1 to 10. */
  readonly maxNumberOfMessages: number;
  /** 0 (short poll) to 20. */
  readonly waitTimeSeconds: number;
  /** Overrides the queue's visibility timeout for these messages. */
  readonly visibilityTimeout?: number;
  /** System attributes to return, e.g. `ApproximateReceiveCount`, or `All`. */
  readonly attributeNames: readonly string[];
  /** Message attributes to return, or `All`. */
  readonly messageAttributeNames: readonly string[];
  readonly signal?: AbortSignal;
}

/** A received message. */
export interface SqsMessage {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  readonly md5OfBody: string;
  /** The system attributes asked for, e.g. `{ ApproximateReceiveCount: '1' }`. */
  readonly attributes: Readonly<Record<string, string>>;
  readonly messageAttributes: Readonly<Record<string, SqsMessageAttribute>>;
}

/** A message attribute: `String`, `Number` or `Binary` (with an optional `.suffix`). */
export interface SqsMessageAttribute {
  readonly dataType: string;
  readonly stringValue?: string;
  readonly binaryValue?: Uint8Array;
}

/** An entry of {@link SqsClient.deleteMessageBatch}. `id` is unique within the batch. */
export interface SqsDeleteEntry {
  readonly id: string;
  readonly receiptHandle: string;
}

/** An entry of {@link SqsClient.changeMessageVisibilityBatch}. */
export interface SqsVisibilityEntry extends SqsDeleteEntry {
  /** Seconds, 0 to 43200. */
  readonly visibilityTimeout: number;
}

/** An entry of {@link SqsClient.sendMessageBatch}. `id` is unique within the batch. */
export interface SqsSendEntry {
  readonly id: string;
  readonly body: string;
  readonly messageAttributes?: Readonly<Record<string, SqsMessageAttribute>>;
  readonly delaySeconds?: number;
  /** Required on FIFO queues. */
  readonly messageGroupId?: string;
  /** FIFO queues without content-based deduplication need it. */
  readonly messageDeduplicationId?: string;
}

/** What a batch call did: the entry ids that succeeded and those that failed. */
export interface SqsBatchResult {
  readonly successful: readonly SqsBatchSuccess[];
  readonly failed: readonly SqsBatchFailure[];
}

/** A successful batch entry; `messageId` is set by `sendMessageBatch` only. */
export interface SqsBatchSuccess {
  readonly id: string;
  readonly messageId?: string;
}

/** A failed batch entry, e.g. `{ code: 'ReceiptHandleIsInvalid', senderFault: true }`. */
export interface SqsBatchFailure {
  readonly id: string;
  readonly code: string;
  readonly message: string;
  /** True when the request was at fault (do not retry as is). */
  readonly senderFault: boolean;
}
