/**
 * SQS fixtures for integration tests: the client config of a local SQS
 * emulator, a uniquely named queue (optionally with a dead-letter queue)
 * that is deleted after the test, test messages, and a way to read what is
 * left on a queue. Everything goes through the {@link SqsClient} and
 * {@link SqsAdmin} seams of `@sluice/producers/sqs`; by default an
 * `AwsSqsClient` for `SQS_ENDPOINT` (ElasticMQ on loopback).
 */
import type { SQSClientConfig } from '@aws-sdk/client-sqs';
import { brokerEnv } from '../testing/env.ts';
import { BrokerError, isBrokerError } from '../index.ts';
import {
  AwsSqsClient,
  type SqsAdmin,
  type SqsClient,
  type SqsMessage,
  type SqsMessageAttribute,
} from './index.ts';
import { DEFAULT_NAME_PREFIX, uniqueName } from '../testing/names.ts';

/**
 * The `SQSClientConfig` of a local SQS emulator such as ElasticMQ, at
 * `SQS_ENDPOINT` (default `http://127.0.0.1:9324`): region `us-east-1` and
 * placeholder credentials, which is what the emulator expects. Give it as
 * the producer's `client`, or to `new AwsSqsClient(…)`. For real AWS, give
 * no config and let the AWS SDK find the region and credentials.
 *
 * @example
 * ```ts
 * sqsProducer({ queueUrl, client: sqsClientConfigFromEnv() });
 * ```
 */
export function sqsClientConfigFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
): SQSClientConfig {
  return {
    endpoint: brokerEnv(env).sqsEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  };
}

/** What the fixtures need: the producer's seam plus queue management. */
export type SqsFixtureClient = SqsClient & SqsAdmin;

/** Options of {@link createTestQueue}. */
export interface CreateSqsTestQueueOptions {
  /** @defaultValue a new `AwsSqsClient` on {@link sqsClientConfigFromEnv}, closed by `delete()` */
  readonly client?: SqsFixtureClient;
  /** @defaultValue `'sluice-test-'` */
  readonly namePrefix?: string;
  /** A FIFO queue with content-based deduplication; its name ends in `.fifo`. */
  readonly fifo?: boolean;
  /** Also create a dead-letter queue that receives messages after `maxReceiveCount` receives. */
  readonly dlq?: { readonly maxReceiveCount: number };
  /** More queue attributes, e.g. `{ VisibilityTimeout: '5' }`. */
  readonly attributes?: Readonly<Record<string, string>>;
}

/** A queue made by {@link createTestQueue}. */
export interface SqsTestQueue {
  readonly name: string;
  readonly url: string;
  /** The dead-letter queue, when asked for. */
  readonly dlq?: { readonly name: string; readonly url: string };
  readonly client: SqsFixtureClient;
  /** {@link publishTestMessages} to this queue (FIFO queues: one message group). */
  publish(count: number, options?: PublishSqsTestMessagesOptions): Promise<SentSqsMessage[]>;
  /** {@link drainQueue} on this queue. */
  drain(options?: DrainQueueOptions): Promise<SqsMessage[]>;
  /** {@link drainQueue} on the dead-letter queue. */
  drainDlq(options?: DrainQueueOptions): Promise<SqsMessage[]>;
  /** {@link countMessages} on this queue. */
  count(): Promise<SqsMessageCounts>;
  /** Deletes the queue and its dead-letter queue. Safe to call more than once. */
  delete(): Promise<void>;
}

/**
 * Creates a queue named `sluice-test-<random>` (and `…-dlq` when `dlq` is set).
 * Delete it after the test with `delete()`.
 *
 * @example
 * ```ts
 * const queue = await createTestQueue({ dlq: { maxReceiveCount: 3 } });
 * afterEach(() => queue.delete());
 * await queue.publish(100);
 * // … run the pipeline …
 * expect(await queue.drain()).toEqual([]);
 * ```
 */
export async function createTestQueue(
  options: CreateSqsTestQueueOptions = {},
): Promise<SqsTestQueue> {
  const ownClient =
    options.client === undefined ? new AwsSqsClient(sqsClientConfigFromEnv()) : undefined;
  const client: SqsFixtureClient = options.client ?? (ownClient as AwsSqsClient);
  const fifo = options.fifo ?? false;
  const base = uniqueName(options.namePrefix ?? DEFAULT_NAME_PREFIX);
  const name = fifo ? `${base}.fifo` : base;
  const fifoAttributes: Record<string, string> = fifo
    ? { FifoQueue: 'true', ContentBasedDeduplication: 'true' }
    : {};
  const urls: string[] = [];
  const deleteAll = async () => {
    for (const url of [...urls].reverse()) {
      await client.deleteQueue(url).catch((error: unknown) => {
        if (!isBrokerError(error, 'ERR_QUEUE_NOT_FOUND')) throw error;
      });
    }
    ownClient?.close();
  };
  try {
    let dlq: { name: string; url: string } | undefined;
    const attributes: Record<string, string> = { ...fifoAttributes, ...options.attributes };
    if (options.dlq) {
      const dlqName = fifo ? `${base}-dlq.fifo` : `${base}-dlq`;
      dlq = { name: dlqName, url: await client.createQueue(dlqName, fifoAttributes) };
      urls.push(dlq.url);
      const { QueueArn: arn } = await client.getQueueAttributes(dlq.url, ['QueueArn']);
      attributes['RedrivePolicy'] = JSON.stringify({
        deadLetterTargetArn: arn,
        maxReceiveCount: String(options.dlq.maxReceiveCount),
      });
    }
    const url = await client.createQueue(name, attributes);
    urls.push(url);
    let deleted: Promise<void> | undefined;
    const publishDefaults = fifo ? { messageGroupId: 'sluice-test' } : {};
    return {
      name,
      url,
      ...(dlq && { dlq }),
      client,
      publish: (count, publishOptions) =>
        publishTestMessages(client, url, count, { ...publishDefaults, ...publishOptions }),
      drain: (drainOptions) => drainQueue(client, url, drainOptions),
      drainDlq: (drainOptions) => {
        if (!dlq) return Promise.reject(new Error(`test queue ${name} has no dead-letter queue`));
        return drainQueue(client, dlq.url, drainOptions);
      },
      count: () => countMessages(client, url),
      delete: () => (deleted ??= deleteAll()),
    };
  } catch (error) {
    await deleteAll().catch(() => undefined);
    throw error;
  }
}

/** Options of {@link publishTestMessages}. */
export interface PublishSqsTestMessagesOptions {
  /** The body of message `i` (0-based). @defaultValue `` i => `message-${i}` `` */
  readonly body?: (i: number) => string;
  /** Attributes of message `i`. */
  readonly messageAttributes?: (i: number) => Readonly<Record<string, SqsMessageAttribute>>;
  /** Required for FIFO queues. */
  readonly messageGroupId?: string;
}

/** A message sent by {@link publishTestMessages}. */
export interface SentSqsMessage {
  readonly messageId: string;
  readonly body: string;
}

/**
 * Sends `count` messages to `queueUrl`, 10 per SendMessageBatch call, in
 * order. Rejects if any entry fails.
 */
export async function publishTestMessages(
  client: SqsClient,
  queueUrl: string,
  count: number,
  options: PublishSqsTestMessagesOptions = {},
): Promise<SentSqsMessage[]> {
  const body = options.body ?? ((i: number) => `message-${i}`);
  const sent: SentSqsMessage[] = [];
  for (let start = 0; start < count; start += 10) {
    const entries = Array.from({ length: Math.min(10, count - start) }, (_, k) => {
      const i = start + k;
      return {
        id: String(i),
        body: body(i),
        ...(options.messageAttributes && { messageAttributes: options.messageAttributes(i) }),
        ...(options.messageGroupId !== undefined && { messageGroupId: options.messageGroupId }),
      };
    });
    const result = await client.sendMessageBatch(queueUrl, entries);
    if (result.failed.length > 0) {
      const first = result.failed[0];
      throw new BrokerError(
        'ERR_BROKER_REQUEST',
        'sqs',
        `${result.failed.length} of ${entries.length} test messages were not sent to ${queueUrl}, e.g. ${first?.code}: ${first?.message}`,
      );
    }
    const ids = new Map(result.successful.map((s) => [s.id, s.messageId ?? '']));
    for (const e of entries) sent.push({ messageId: ids.get(e.id) ?? '', body: e.body });
  }
  return sent;
}

/** Options of {@link drainQueue}. */
export interface DrainQueueOptions {
  /** Reject if the queue still has visible messages after this long. @defaultValue 10000 */
  readonly timeoutMs?: number;
}

/**
 * Receives and deletes every visible message on `queueUrl` until
 * `ApproximateNumberOfMessages` is 0, and resolves to them in the order
 * received. Reading consumes: the messages are gone afterwards, and each
 * receive counts towards a redrive policy's `maxReceiveCount`.
 *
 * Messages in flight (received by someone else and not yet deleted) and
 * delayed messages are not visible, so they are not returned; see
 * {@link countMessages}.
 */
export async function drainQueue(
  client: SqsClient,
  queueUrl: string,
  options: DrainQueueOptions = {},
): Promise<SqsMessage[]> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  const drained: SqsMessage[] = [];
  for (;;) {
    const batch = await client.receiveMessages(queueUrl, {
      maxNumberOfMessages: 10,
      waitTimeSeconds: 0,
      visibilityTimeout: 30,
      attributeNames: ['All'],
      messageAttributeNames: ['All'],
    });
    if (batch.length > 0) {
      drained.push(...batch);
      const result = await client.deleteMessageBatch(
        queueUrl,
        batch.map((m, i) => ({ id: String(i), receiptHandle: m.receiptHandle })),
      );
      if (result.failed.length > 0) {
        throw new BrokerError(
          'ERR_BROKER_REQUEST',
          'sqs',
          `could not delete ${result.failed.length} drained messages from ${queueUrl}`,
        );
      }
      continue;
    }
    if ((await countMessages(client, queueUrl)).visible === 0) return drained;
    if (Date.now() > deadline) {
      throw new BrokerError(
        'ERR_BROKER_REQUEST',
        'sqs',
        `${queueUrl} still had visible messages after ${options.timeoutMs ?? 10_000} ms of draining`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Approximate message counts of a queue (exact on ElasticMQ). */
export interface SqsMessageCounts {
  /** Ready to be received. */
  readonly visible: number;
  /** Received and not yet deleted. */
  readonly inFlight: number;
  /** Sent with a delay that has not passed yet. */
  readonly delayed: number;
}

/** How many messages `queueUrl` holds: visible, in flight and delayed. */
export async function countMessages(
  client: SqsClient,
  queueUrl: string,
): Promise<SqsMessageCounts> {
  const attributes = await client.getQueueAttributes(queueUrl, [
    'ApproximateNumberOfMessages',
    'ApproximateNumberOfMessagesNotVisible',
    'ApproximateNumberOfMessagesDelayed',
  ]);
  return {
    visible: Number(attributes['ApproximateNumberOfMessages'] ?? 0),
    inFlight: Number(attributes['ApproximateNumberOfMessagesNotVisible'] ?? 0),
    delayed: Number(attributes['ApproximateNumberOfMessagesDelayed'] ?? 0),
  };
}

export { DEFAULT_NAME_PREFIX, uniqueName } from '../testing/names.ts';
