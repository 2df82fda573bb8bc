/**
 * `sqsProducer`: an SQS queue as a pipeline's source. The pieces live in
 * their own files: receiving against demand (receiver.ts, receive-plan.ts),
 * acking (acknowledger.ts, deleter.ts, dead-letter.ts), visibility
 * heartbeats and retry delays (visibility.ts). docs/producers/sqs.md is the
 * user's guide.
 */
import {
  Message,
  type Logger,
  type PrepareContext,
  type ProducerContext,
  type ProducerModule,
  type ResolvedDefinition,
} from '@sluice/core';
import { BrokerError, isBrokerError } from '../errors.ts';
import { redactUrl } from '../env.ts';
import { redactedMessageOf } from '../internal/error-helpers.ts';
import { SqsAcknowledger, type SqsAckData } from './acknowledger.ts';
import { AwsSqsClient } from './aws-sqs-client.ts';
import type { RetryPolicy } from './batch-call.ts';
import type { SqsClient, SqsMessage, SqsMessageAttribute } from './client.ts';
import { Deleter } from './deleter.ts';
import {
  resolveSqsOptions,
  type ResolvedSqsOptions,
  type SqsClientInput,
  type SqsProducerOptions,
} from './options.ts';
import { Receiver } from './receiver.ts';
import { TimedSqsClient } from './timed-client.ts';
import { Visibility } from './visibility.ts';

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

/** Leave at least this much of the visibility timeout beyond a batcher's `batchTimeout`. */
const VISIBILITY_MARGIN_MS = 5000;
/** The visibility timeout assumed when neither the options nor the queue said. */
const DEFAULT_VISIBILITY_TIMEOUT = 30;

/**
 * A producer that reads an SQS queue: long polls against the pipeline's
 * demand (several at once when it exceeds 10), deletes successes in
 * batches, handles failures by `onFailure`, and extends the visibility of
 * messages still in flight.
 *
 * @example
 * ```ts
 * createPipeline({
 *   name: 'orders',
 *   producer: { module: sqsProducer({ queueUrl, onFailure: 'retry' }) },
 *   processors: { default: { concurrency: 100 } },
 *   handleMessage: async (_p, message) => { await handle(JSON.parse(message.data as string)); return message; },
 * });
 * ```
 */
export function sqsProducer(input: SqsProducerOptions): ProducerModule {
  const options = resolveSqsOptions(input);
  let session: Session | undefined;

  return {
    async prepareForStart(context: PrepareContext) {
      const { client, close } = makeClient(options);
      let visibilityTimeout: number;
      try {
        visibilityTimeout = await checkQueues(client, options);
      } catch (error) {
        close();
        throw error;
      }
      warnIfTooShort(visibilityTimeout, context.definition, context.logger);
      const s = new Session(options, client, close, visibilityTimeout, context.logger);
      session = s;
      return async () => {
        if (session === s) session = undefined;
        await s.close();
      };
    },

    init(context: ProducerContext) {
      // Without prepareForStart (a module driven by hand), trust the options;
      // the last instance to terminate closes what it opened.
      let own: Session | undefined;
      if (session === undefined) {
        const { client, close } = makeClient(options);
        const visibilityTimeout = options.visibilityTimeout ?? DEFAULT_VISIBILITY_TIMEOUT;
        own = new Session(options, client, close, visibilityTimeout, context.logger);
        session = own;
      }
      const s = session;
      const receiver = new Receiver({
        client: s.client,
        queueUrl: options.queueUrl,
        index: context.index,
        logger: context.logger,
        receive: {
          waitTimeSeconds: options.waitTimeSeconds,
          ...(options.visibilityTimeout !== undefined && {
            visibilityTimeout: options.visibilityTimeout,
          }),
          attributeNames: options.messageSystemAttributeNames,
          messageAttributeNames: options.messageAttributeNames,
        },
        maxNumberOfMessages: options.maxNumberOfMessages,
        maxConcurrentReceives: options.maxConcurrentReceives,
        receiveInterval: options.receiveInterval,
        onMessages: (messages) => {
          s.visibility.track(messages, Date.now());
          context.emit(messages.map((m) => s.toMessage(m)));
        },
      });
      return {
        handleDemand(demand: number) {
          receiver.demand(demand);
        },
        prepareForDraining: () => receiver.drain(),
        async terminate() {
          await receiver.drain();
          if (own !== undefined && session === own) {
            session = undefined;
            await own.close();
          }
        },
      };
    },
  };
}

/** What one pipeline run shares across its producer instances: the client and the ack machinery. */
class Session {
  readonly acknowledger: SqsAcknowledger;
  readonly deleter: Deleter;
  readonly visibility: Visibility;
  readonly client: SqsClient;
  readonly #closeClient: () => void;

  constructor(
    options: ResolvedSqsOptions,
    client: SqsClient,
    closeClient: () => void,
    visibilityTimeout: number,
    logger: Logger,
  ) {
    this.client = client;
    this.#closeClient = closeClient;
    // Transient failures are tried for as long as the message stays
    // hidden: an ack that outlives a short outage keeps its message from
    // coming back; past that, the message is visible again anyway.
    const retry: RetryPolicy = {
      attempts: options.ackAttempts,
      retryForMs: visibilityTimeout * 1000,
      backoff: { initial: 100, max: 5000 },
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

/** The client every call goes through: the one given (or built), each call bounded by `requestTimeout`. */
function makeClient(options: ResolvedSqsOptions): { client: SqsClient; close: () => void } {
  const input: SqsClientInput | undefined = options.client;
  if (input !== undefined && typeof (input as SqsClient).receiveMessages === 'function') {
    return {
      client: new TimedSqsClient(input as SqsClient, options.requestTimeout),
      close: () => undefined,
    };
  }
  const aws = new AwsSqsClient(input);
  return {
    client: new TimedSqsClient(aws, options.requestTimeout),
    close: () => aws.close(),
  };
}

/**
 * Checks that the queue (and the dead-letter queue) exist and that we may
 * read them; resolves to the visibility timeout to use.
 */
async function checkQueues(client: SqsClient, options: ResolvedSqsOptions): Promise<number> {
  const attributes = await startCheck(options.queueUrl, () =>
    client.getQueueAttributes(options.queueUrl, ['VisibilityTimeout']),
  );
  if (options.deadLetterQueueUrl !== undefined) {
    const dlq = options.deadLetterQueueUrl;
    await startCheck(dlq, () => client.getQueueAttributes(dlq, ['QueueArn']));
  }
  const fromQueue = Number(attributes['VisibilityTimeout']);
  return (
    options.visibilityTimeout ??
    (Number.isFinite(fromQueue) && attributes['VisibilityTimeout'] !== undefined
      ? fromQueue
      : DEFAULT_VISIBILITY_TIMEOUT)
  );
}

async function startCheck<T>(queueUrl: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (isBrokerError(error)) {
      // Any client's error (and its cause) loses the queue URL's credentials.
      const message = redactedMessageOf(error, [queueUrl]);
      throw new BrokerError(
        error.code,
        'sqs',
        `sqs producer cannot start: ${error.code === 'ERR_QUEUE_NOT_FOUND' ? `queue ${redactUrl(queueUrl)} does not exist` : message}`,
        { cause: error },
      );
    }
    throw error;
  }
}

function warnIfTooShort(
  visibilityTimeout: number,
  definition: ResolvedDefinition<unknown>,
  logger: Logger,
): void {
  const batchTimeout = Math.max(0, ...definition.batchers.map((b) => b.batchTimeout));
  if (batchTimeout === 0 || visibilityTimeout * 1000 >= batchTimeout + VISIBILITY_MARGIN_MS) {
    return;
  }
  logger.warn(
    { visibilityTimeout, batchTimeout, marginMs: VISIBILITY_MARGIN_MS },
    `SQS visibilityTimeout (${visibilityTimeout} s) is shorter than the largest batchTimeout (${batchTimeout} ms) plus ${VISIBILITY_MARGIN_MS / 1000} s: messages waiting in a batcher rely on the visibility heartbeat to avoid redelivery; consider raising visibilityTimeout`,
  );
}
