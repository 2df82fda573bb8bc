/**
 * `sqsProducer`: an SQS queue as a pipeline's source. The pieces live in
 * their own files: what a started producer shares (run.ts), one instance
 * (consumer.ts), receiving against demand (receiver.ts, receive-plan.ts),
 * acking (acknowledger.ts, deleter.ts, dead-letter.ts), visibility
 * heartbeats and retry delays (visibility.ts). docs/producers/sqs.md is the
 * user's guide.
 */
import {
  redactUrl,
  type Logger,
  type PrepareContext,
  type ProducerContext,
  type ProducerModule,
  type ResolvedDefinition,
} from '@sluice/core';
import { BrokerError, isBrokerError } from '../errors.ts';
import { redactedMessageOf } from '../internal/error-helpers.ts';
import { loadAwsSdk } from './aws-sqs-client.ts';
import { pollSqsBacklog } from './backlog.ts';
import type { SqsClient } from './client.ts';
import { SqsConsumer } from './consumer.ts';
import {
  resolveSqsOptions,
  type ResolvedSqsOptions,
  type SqsOnFailure,
  type SqsOnSuccess,
  type SqsProducerOptions,
} from './options.ts';
import { isSqsClient, openClient, SqsRun, type SqsMetadata } from './run.ts';

/** Leave at least this much of the visibility timeout beyond a batcher's `batchTimeout`. */
const VISIBILITY_MARGIN_MS = 5000;
/** The visibility timeout assumed when neither the options nor the queue said. */
const DEFAULT_VISIBILITY_TIMEOUT = 30;

/**
 * What `message.configureAck` takes for an SQS message: this message's
 * `onSuccess` and/or `onFailure`, overriding the producer's. Checked at
 * run time too (`onFailure: 'deadLetter'` needs `deadLetterQueueUrl`).
 */
export type SqsAckOptions = {
  readonly onSuccess?: SqsOnSuccess;
  readonly onFailure?: SqsOnFailure;
};

/**
 * The SQS producer module: its messages are
 * `Message<string, SqsMetadata, SqsAckOptions>` (the body, as sent).
 */
export type SqsProducerModule = ProducerModule<string, SqsMetadata, SqsAckOptions>;

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
 *   handleMessage: async (_p, message) => { await handle(JSON.parse(message.data)); return message; },
 * });
 * ```
 */
export function sqsProducer(input: SqsProducerOptions): SqsProducerModule {
  const options = resolveSqsOptions(input);
  // Without an SqsClient of its own, the producer needs the AWS SDK: say so now.
  if (!isSqsClient(options.client)) loadAwsSdk();
  let run: SqsRun | undefined;

  return {
    async prepareForStart(context: PrepareContext) {
      const { client, close } = openClient(options);
      let visibilityTimeout: number;
      try {
        visibilityTimeout = await checkQueues(client, options);
      } catch (error) {
        close();
        throw error;
      }
      warnIfTooShort(visibilityTimeout, context.definition, context.logger);
      const r = new SqsRun(options, client, close, visibilityTimeout, context.logger);
      run = r;
      const stopBacklog = pollSqsBacklog(client, options.queueUrl, context);
      return async () => {
        stopBacklog();
        if (run === r) run = undefined;
        await r.close();
      };
    },

    init(context: ProducerContext) {
      // Without prepareForStart (a module driven by hand), trust the options;
      // the last instance to terminate closes what it opened.
      let own: SqsRun | undefined;
      if (run === undefined) {
        const { client, close } = openClient(options);
        const visibilityTimeout = options.visibilityTimeout ?? DEFAULT_VISIBILITY_TIMEOUT;
        own = new SqsRun(options, client, close, visibilityTimeout, context.logger);
        run = own;
      }
      return new SqsConsumer(run, options, context, async () => {
        if (own !== undefined && run === own) {
          run = undefined;
          await own.close();
        }
      });
    },
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
    {
      code: 'WARN_SQS_VISIBILITY_TIMEOUT_SHORT',
      visibilityTimeout,
      batchTimeout,
      marginMs: VISIBILITY_MARGIN_MS,
    },
    `SQS visibilityTimeout (${visibilityTimeout} s) is shorter than the largest batchTimeout (${batchTimeout} ms) plus ${VISIBILITY_MARGIN_MS / 1000} s: messages waiting in a batcher rely on the visibility heartbeat to avoid redelivery; consider raising visibilityTimeout`,
  );
}

/**
 * {@link sqsProducer} under the name most Node.js tools use: it is a
 * *source* of messages that consumes the queue. "Producer" is Broadway's
 * word (it produces messages for the pipeline), not SQS's; both names are
 * the same function.
 */
export const sqsSource = sqsProducer;
