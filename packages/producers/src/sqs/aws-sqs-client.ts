/**
 * {@link SqsClient} and {@link SqsAdmin} over `@aws-sdk/client-sqs`. This is
 * the only module that uses the AWS SDK, and it loads it only when the
 * first client is created: the SDK is an optional peer dependency. AWS
 * errors become {@link BrokerError}s that name the queue and keep the SDK
 * error as `cause`.
 */
import type * as Sdk from '@aws-sdk/client-sqs';
import type {
  BatchResultErrorEntry,
  MessageAttributeValue,
  MessageSystemAttributeName,
  QueueAttributeName,
  SQSClient,
  SQSClientConfig,
} from '@aws-sdk/client-sqs';
import { redactUrl } from '@sluice/core';
import { BrokerError } from '../errors.ts';
import { isAbortError, isNetworkError, redactedMessageOf } from '../internal/error-helpers.ts';
import { loadLibrary } from '../internal/load-library.ts';
import type {
  SqsAdmin,
  SqsBatchResult,
  SqsCallOptions,
  SqsClient,
  SqsDeleteEntry,
  SqsMessage,
  SqsMessageAttribute,
  SqsReceiveOptions,
  SqsSendEntry,
  SqsVisibilityEntry,
} from './client.ts';

/**
 * The AWS SDK's SQS client library, loaded at first use.
 *
 * @throws SluiceError `ERR_MISSING_LIBRARY`, naming the install command, when it is not installed
 */
export function loadAwsSdk(): typeof Sdk {
  return loadLibrary<typeof Sdk>('@aws-sdk/client-sqs', '^3.1169.0', 'SQS');
}

/**
 * An {@link SqsClient} and {@link SqsAdmin} backed by the AWS SDK's
 * `SQSClient`. Without a config, the SDK finds the region, credentials and
 * endpoint itself (`AWS_REGION`, `AWS_ENDPOINT_URL_SQS`, `AWS_PROFILE`,
 * instance roles…); Sluice adds no defaults of its own.
 *
 * @example
 * ```ts
 * const sqs = new AwsSqsClient();                          // the AWS SDK's defaults
 * const sqs = new AwsSqsClient({ region: 'eu-west-1' });   // real AWS, default credentials
 * const sqs = new AwsSqsClient(existingSqsClient);         // yours; close() leaves it alone
 * ```
 */
export class AwsSqsClient implements SqsClient, SqsAdmin {
  readonly #sdk: typeof Sdk;
  readonly #sqs: SQSClient;
  readonly #owned: boolean;
  readonly #endpoint: string;

  /**
   * @param clientOrConfig an `SQSClient` (left open by {@link close}), or
   *   the config to build one
   * @throws SluiceError `ERR_MISSING_LIBRARY` when `@aws-sdk/client-sqs` is not installed
   */
  constructor(clientOrConfig: SQSClient | SQSClientConfig = {}) {
    this.#sdk = loadAwsSdk();
    if (isSqsClient(clientOrConfig)) {
      this.#sqs = clientOrConfig;
      this.#owned = false;
      this.#endpoint = 'the SQS endpoint';
    } else {
      this.#sqs = new this.#sdk.SQSClient(clientOrConfig);
      this.#owned = true;
      const { endpoint } = clientOrConfig;
      this.#endpoint = typeof endpoint === 'string' ? endpoint : 'the SQS endpoint';
    }
  }

  async receiveMessages(queueUrl: string, options: SqsReceiveOptions): Promise<SqsMessage[]> {
    const command = new this.#sdk.ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: options.maxNumberOfMessages,
      WaitTimeSeconds: options.waitTimeSeconds,
      MessageSystemAttributeNames: [...options.attributeNames] as MessageSystemAttributeName[],
      MessageAttributeNames: [...options.messageAttributeNames],
      ...(options.visibilityTimeout !== undefined && {
        VisibilityTimeout: options.visibilityTimeout,
      }),
    });
    const out = await this.#call('ReceiveMessage', queueUrl, () =>
      this.#sqs.send(command, sendOptions(options.signal)),
    );
    return (out.Messages ?? []).map((m) => ({
      messageId: m.MessageId ?? '',
      receiptHandle: m.ReceiptHandle ?? '',
      body: m.Body ?? '',
      md5OfBody: m.MD5OfBody ?? '',
      attributes: { ...(m.Attributes as Record<string, string> | undefined) },
      messageAttributes: fromAwsAttributes(m.MessageAttributes),
    }));
  }

  async deleteMessageBatch(
    queueUrl: string,
    entries: readonly SqsDeleteEntry[],
    options: SqsCallOptions = {},
  ): Promise<SqsBatchResult> {
    if (entries.length === 0) return { successful: [], failed: [] };
    const command = new this.#sdk.DeleteMessageBatchCommand({
      QueueUrl: queueUrl,
      Entries: entries.map((e) => ({ Id: e.id, ReceiptHandle: e.receiptHandle })),
    });
    const out = await this.#call('DeleteMessageBatch', queueUrl, () =>
      this.#sqs.send(command, sendOptions(options.signal)),
    );
    return batchResult(out.Successful, out.Failed);
  }

  async changeMessageVisibilityBatch(
    queueUrl: string,
    entries: readonly SqsVisibilityEntry[],
    options: SqsCallOptions = {},
  ): Promise<SqsBatchResult> {
    if (entries.length === 0) return { successful: [], failed: [] };
    const command = new this.#sdk.ChangeMessageVisibilityBatchCommand({
      QueueUrl: queueUrl,
      Entries: entries.map((e) => ({
        Id: e.id,
        ReceiptHandle: e.receiptHandle,
        VisibilityTimeout: e.visibilityTimeout,
      })),
    });
    const out = await this.#call('ChangeMessageVisibilityBatch', queueUrl, () =>
      this.#sqs.send(command, sendOptions(options.signal)),
    );
    return batchResult(out.Successful, out.Failed);
  }

  async sendMessageBatch(
    queueUrl: string,
    entries: readonly SqsSendEntry[],
    options: SqsCallOptions = {},
  ): Promise<SqsBatchResult> {
    if (entries.length === 0) return { successful: [], failed: [] };
    const command = new this.#sdk.SendMessageBatchCommand({
      QueueUrl: queueUrl,
      Entries: entries.map((e) => ({
        Id: e.id,
        MessageBody: e.body,
        ...(e.messageAttributes && { MessageAttributes: toAwsAttributes(e.messageAttributes) }),
        ...(e.delaySeconds !== undefined && { DelaySeconds: e.delaySeconds }),
        ...(e.messageGroupId !== undefined && { MessageGroupId: e.messageGroupId }),
        ...(e.messageDeduplicationId !== undefined && {
          MessageDeduplicationId: e.messageDeduplicationId,
        }),
      })),
    });
    const out = await this.#call('SendMessageBatch', queueUrl, () =>
      this.#sqs.send(command, sendOptions(options.signal)),
    );
    return batchResult(out.Successful, out.Failed);
  }

  async getQueueAttributes(
    queueUrl: string,
    names: readonly string[],
    options: SqsCallOptions = {},
  ): Promise<Record<string, string>> {
    const command = new this.#sdk.GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: [...names] as QueueAttributeName[],
    });
    const out = await this.#call('GetQueueAttributes', queueUrl, () =>
      this.#sqs.send(command, sendOptions(options.signal)),
    );
    return { ...out.Attributes };
  }

  async createQueue(
    name: string,
    attributes: Readonly<Record<string, string>> = {},
  ): Promise<string> {
    const command = new this.#sdk.CreateQueueCommand({
      QueueName: name,
      Attributes: { ...attributes },
    });
    const out = await this.#call('CreateQueue', name, () => this.#sqs.send(command));
    return out.QueueUrl ?? '';
  }

  async deleteQueue(queueUrl: string): Promise<void> {
    const command = new this.#sdk.DeleteQueueCommand({ QueueUrl: queueUrl });
    await this.#call('DeleteQueue', queueUrl, () => this.#sqs.send(command));
  }

  async getQueueUrl(name: string): Promise<string> {
    const command = new this.#sdk.GetQueueUrlCommand({ QueueName: name });
    const out = await this.#call('GetQueueUrl', name, () => this.#sqs.send(command));
    return out.QueueUrl ?? '';
  }

  async listQueues(prefix?: string): Promise<string[]> {
    const urls: string[] = [];
    let nextToken: string | undefined;
    do {
      const command = new this.#sdk.ListQueuesCommand({
        MaxResults: 1000,
        ...(prefix !== undefined && prefix !== '' && { QueueNamePrefix: prefix }),
        ...(nextToken !== undefined && { NextToken: nextToken }),
      });
      const out = await this.#call('ListQueues', prefix ?? '*', () => this.#sqs.send(command));
      urls.push(...(out.QueueUrls ?? []));
      nextToken = out.NextToken;
    } while (nextToken !== undefined);
    return urls;
  }

  async purgeQueue(queueUrl: string): Promise<void> {
    const command = new this.#sdk.PurgeQueueCommand({ QueueUrl: queueUrl });
    await this.#call('PurgeQueue', queueUrl, () => this.#sqs.send(command));
  }

  /** Releases the SDK client's sockets, if this adapter created the client. */
  close(): void {
    if (this.#owned) this.#sqs.destroy();
  }

  async #call<T>(operation: string, queue: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw toBrokerError(error, operation, queue, this.#endpoint);
    }
  }
}

/**
 * Turns an AWS SDK error into a {@link BrokerError} naming the queue. An
 * `AbortError` is returned unchanged, so callers can tell a stop from a fault.
 */
function toBrokerError(error: unknown, operation: string, url: string, at: string) {
  if (isAbortError(error)) return error;
  // A queue URL or endpoint may hold credentials: the message, and the SDK's, hide them.
  const [queue, endpoint, text] = [
    redactUrl(url),
    redactUrl(at),
    redactedMessageOf(error, [url, at]),
  ];
  const name = error instanceof Error ? error.name : '';
  const code = (error as { Code?: unknown } | null)?.Code;
  if (
    name === 'QueueDoesNotExist' ||
    (typeof code === 'string' && /NonExistentQueue|QueueDoesNotExist/.test(code))
  ) {
    return new BrokerError(
      'ERR_QUEUE_NOT_FOUND',
      'sqs',
      `SQS queue ${queue} does not exist (${operation})`,
      { cause: error },
    );
  }
  if (isNetworkError(error)) {
    return new BrokerError(
      'ERR_BROKER_UNREACHABLE',
      'sqs',
      `cannot reach SQS at ${endpoint} (${operation} on ${queue}): ${text}`,
      { cause: error },
    );
  }
  return new BrokerError(
    'ERR_BROKER_REQUEST',
    'sqs',
    `SQS ${operation} on ${queue} failed: ${name ? `${name}: ` : ''}${text}`,
    { cause: error },
  );
}

/** The SDK's per-call options: the abort signal, when there is one. */
function sendOptions(signal: AbortSignal | undefined): { abortSignal?: AbortSignal } {
  return signal ? { abortSignal: signal } : {};
}

function isSqsClient(value: SQSClient | SQSClientConfig): value is SQSClient {
  return typeof (value as { send?: unknown }).send === 'function';
}

function batchResult(
  successful: readonly { Id?: string | undefined; MessageId?: string | undefined }[] | undefined,
  failed: readonly BatchResultErrorEntry[] | undefined,
): SqsBatchResult {
  return {
    successful: (successful ?? []).map((s) => ({
      id: s.Id ?? '',
      ...(s.MessageId !== undefined && { messageId: s.MessageId }),
    })),
    failed: (failed ?? []).map((f) => ({
      id: f.Id ?? '',
      code: f.Code ?? '',
      message: f.Message ?? '',
      senderFault: f.SenderFault ?? false,
    })),
  };
}

function fromAwsAttributes(
  attributes: Record<string, MessageAttributeValue> | undefined,
): Record<string, SqsMessageAttribute> {
  const out: Record<string, SqsMessageAttribute> = {};
  for (const [key, value] of Object.entries(attributes ?? {})) {
    out[key] = {
      dataType: value.DataType ?? 'String',
      ...(value.StringValue !== undefined && { stringValue: value.StringValue }),
      ...(value.BinaryValue !== undefined && { binaryValue: value.BinaryValue }),
    };
  }
  return out;
}

function toAwsAttributes(
  attributes: Readonly<Record<string, SqsMessageAttribute>>,
): Record<string, MessageAttributeValue> {
  const out: Record<string, MessageAttributeValue> = {};
  for (const [key, value] of Object.entries(attributes)) {
    out[key] = {
      DataType: value.dataType,
      ...(value.stringValue !== undefined && { StringValue: value.stringValue }),
      ...(value.binaryValue !== undefined && { BinaryValue: value.binaryValue }),
    };
  }
  return out;
}
