/**
 * The SQS producer's options: one zod schema, parsed once, with every
 * default filled in here.
 */
import { parseOptions, positiveMs } from '@sluice/core/options';
import { z } from 'zod';
import type { AwsSqsClient } from './aws-sqs-client.ts';
import type { SqsClient } from './client.ts';

/** What happens to a message that succeeded: `'delete'` it, or leave it (`'noop'`). */
export type SqsOnSuccess = 'delete' | 'noop';

/**
 * What happens to a message that failed:
 * - `'noop'`: nothing; SQS redelivers it after its visibility timeout, and
 *   the queue's redrive policy moves it to its DLQ after `maxReceiveCount`;
 * - `'retry'`: redeliver it after a delay that doubles with every receive
 *   (ChangeMessageVisibility);
 * - `'delete'`: delete it, as if it had succeeded;
 * - `'deadLetter'`: send it to `deadLetterQueueUrl` with the failure reason
 *   as the `sluice-failure-reason` attribute, then delete it.
 */
export type SqsOnFailure = 'noop' | 'retry' | 'delete' | 'deadLetter';

/** How {@link SqsProducerOptions.client} may be given: the seam, an `SQSClient`, or its config. */
export type SqsClientInput = SqsClient | ConstructorParameters<typeof AwsSqsClient>[0];

/** Options of `sqsProducer`. */
export interface SqsProducerOptions {
  /** The queue's URL, e.g. `http://127.0.0.1:9324/000000000000/orders`. */
  readonly queueUrl: string;
  /**
   * An `SQSClient` from `@aws-sdk/client-sqs` (left open on stop), the
   * config to build one (closed on stop), or any {@link SqsClient}.
   * @defaultValue a client for `SQS_ENDPOINT` (ElasticMQ on loopback)
   */
  readonly client?: SqsClientInput;
  /** Long polling: how long a receive waits for messages, 0 to 20 s. @defaultValue 20 */
  readonly waitTimeSeconds?: number;
  /** The most messages one ReceiveMessage asks for, 1 to 10. @defaultValue 10 */
  readonly maxNumberOfMessages?: number;
  /**
   * The most ReceiveMessage calls one producer instance runs at once, when
   * demand exceeds `maxNumberOfMessages`. @defaultValue 10
   */
  readonly maxConcurrentReceives?: number;
  /** The pause after an empty receive before polling again, in ms. @defaultValue 1000 */
  readonly receiveInterval?: number;
  /**
   * The visibility timeout of received messages, 0 to 43200 s; the
   * heartbeat extends by this much each time. @defaultValue the queue's
   */
  readonly visibilityTimeout?: number;
  /**
   * System attributes to receive (the SDK's `MessageSystemAttributeNames`),
   * e.g. `['ApproximateReceiveCount', 'MessageGroupId']`.
   * `ApproximateReceiveCount` is always added. @defaultValue ['All']
   */
  readonly messageSystemAttributeNames?: readonly string[];
  /** Message attributes to receive, or `['All']`. @defaultValue ['All'] */
  readonly messageAttributeNames?: readonly string[];
  /** @defaultValue 'delete' */
  readonly onSuccess?: SqsOnSuccess;
  /** @defaultValue 'noop' */
  readonly onFailure?: SqsOnFailure;
  /** Where `onFailure: 'deadLetter'` sends failed messages. */
  readonly deadLetterQueueUrl?: string;
  /**
   * `onFailure: 'retry'`: the first retry waits `baseSeconds`, each next one
   * twice as long, up to `maxSeconds`. @defaultValue { baseSeconds: 1, maxSeconds: 900 }
   */
  readonly retryBackoff?: { readonly baseSeconds?: number; readonly maxSeconds?: number };
  /** Extend the visibility of messages still in flight before it expires. @defaultValue true */
  readonly extendVisibility?: boolean;
  /** How long an ack waits for more acks to fill a DeleteMessageBatch of 10, in ms. @defaultValue 5 */
  readonly ackWindowMs?: number;
  /** Tries per delete, visibility or dead-letter call on transient errors (throttling, 5xx, network, timeout). @defaultValue 5 */
  readonly ackAttempts?: number;
  /**
   * The longest one SQS call may take, in ms: DeleteMessageBatch,
   * ChangeMessageVisibilityBatch, SendMessageBatch (dead-letter) and
   * GetQueueAttributes; a ReceiveMessage gets its long poll's wait on top.
   * A call that outlives it is aborted and fails with `ERR_BROKER_TIMEOUT`,
   * which counts as transient (tried again up to `ackAttempts`); a delete
   * that fails so leaves its message un-acked, to be redelivered.
   * @defaultValue 10000
   */
  readonly requestTimeout?: number;
}

/** The options with every default filled in. */
export interface ResolvedSqsOptions {
  readonly queueUrl: string;
  readonly client: SqsClientInput | undefined;
  readonly waitTimeSeconds: number;
  readonly maxNumberOfMessages: number;
  readonly maxConcurrentReceives: number;
  readonly receiveInterval: number;
  readonly visibilityTimeout: number | undefined;
  readonly messageSystemAttributeNames: readonly string[];
  readonly messageAttributeNames: readonly string[];
  readonly onSuccess: SqsOnSuccess;
  readonly onFailure: SqsOnFailure;
  readonly deadLetterQueueUrl: string | undefined;
  readonly retryBackoff: { readonly baseSeconds: number; readonly maxSeconds: number };
  readonly extendVisibility: boolean;
  readonly ackWindowMs: number;
  readonly ackAttempts: number;
  readonly requestTimeout: number;
}

const int = (min: number, max: number) =>
  z
    .int({ error: `expected an integer from ${min} to ${max}` })
    .min(min, { error: `expected an integer from ${min} to ${max}` })
    .max(max, { error: `expected an integer from ${min} to ${max}` });
const nonNegativeMs = z
  .number({ error: 'expected a non-negative number of ms' })
  .nonnegative({ error: 'expected a non-negative number of ms' })
  .finite({ error: 'expected a non-negative number of ms' });
const url = z
  .string({ error: 'expected a queue URL' })
  .regex(/^https?:\/\/\S+$/, { error: 'expected a queue URL (http:// or https://)' });
const names = z
  .array(z.string().min(1, { error: 'expected a non-empty name' }), {
    error: 'expected an array of names',
  })
  .readonly();

export const onSuccessValues = ['delete', 'noop'] as const;
export const onFailureValues = ['noop', 'retry', 'delete', 'deadLetter'] as const;

/**
 * The producer's options as a plain object schema, for reuse (the `sluice`
 * CLI extends it for pipeline files). The cross-field rules are in `schema`.
 */
export const sqsOptionsObject = z
  .object({
    queueUrl: url,
    client: z
      .custom<SqsClientInput>((v) => typeof v === 'object' && v !== null, {
        error: 'expected an SQSClient, its config, or an SqsClient',
      })
      .optional(),
    waitTimeSeconds: int(0, 20).optional(),
    maxNumberOfMessages: int(1, 10).optional(),
    maxConcurrentReceives: int(1, 100).optional(),
    receiveInterval: nonNegativeMs.optional(),
    visibilityTimeout: int(0, 43_200).optional(),
    messageSystemAttributeNames: names.optional(),
    messageAttributeNames: names.optional(),
    onSuccess: z.enum(onSuccessValues).optional(),
    onFailure: z.enum(onFailureValues).optional(),
    deadLetterQueueUrl: url.optional(),
    retryBackoff: z
      .object({
        baseSeconds: int(0, 43_200).optional(),
        maxSeconds: int(0, 43_200).optional(),
      })
      .strict()
      .optional(),
    extendVisibility: z.boolean({ error: 'expected a boolean' }).optional(),
    ackWindowMs: nonNegativeMs.optional(),
    ackAttempts: int(1, 20).optional(),
    requestTimeout: positiveMs.optional().meta({
      description:
        'The longest one SQS call may take, in ms (a receive: its long poll plus this); a call that outlives it fails with ERR_BROKER_TIMEOUT. Default 10000.',
    }),
  })
  .strict();

/**
 * The rules across options (`onFailure` needs its settings, one timeout
 * below another), for {@link sqsOptionsObject} and what extends it: the `sluice`
 * CLI's pipeline files apply them too, so a file reports them with their
 * path and line.
 */
export function sqsOptionsRules(o: z.output<typeof sqsOptionsObject>, ctx: z.RefinementCtx): void {
  if (o.onFailure === 'deadLetter' && o.deadLetterQueueUrl === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['onFailure'],
      message: "'deadLetter' needs deadLetterQueueUrl",
    });
  }
}

const schema = sqsOptionsObject.superRefine(sqsOptionsRules);

/** The default `requestTimeout` of every SQS call, in ms. */
export const DEFAULT_REQUEST_TIMEOUT = 10_000;

/** Validates `input`; throws `InvalidOptionsError` naming every bad option. */
export function resolveSqsOptions(input: SqsProducerOptions): ResolvedSqsOptions {
  const o = parseOptions(schema, input, 'sqs producer options');
  const system = o.messageSystemAttributeNames ?? ['All'];
  return {
    queueUrl: o.queueUrl,
    client: input.client,
    waitTimeSeconds: o.waitTimeSeconds ?? 20,
    maxNumberOfMessages: o.maxNumberOfMessages ?? 10,
    maxConcurrentReceives: o.maxConcurrentReceives ?? 10,
    receiveInterval: o.receiveInterval ?? 1000,
    visibilityTimeout: o.visibilityTimeout,
    messageSystemAttributeNames:
      system.includes('All') || system.includes('ApproximateReceiveCount')
        ? system
        : [...system, 'ApproximateReceiveCount'],
    messageAttributeNames: o.messageAttributeNames ?? ['All'],
    onSuccess: o.onSuccess ?? 'delete',
    onFailure: o.onFailure ?? 'noop',
    deadLetterQueueUrl: o.deadLetterQueueUrl,
    retryBackoff: {
      baseSeconds: o.retryBackoff?.baseSeconds ?? 1,
      maxSeconds: o.retryBackoff?.maxSeconds ?? 900,
    },
    extendVisibility: o.extendVisibility ?? true,
    ackWindowMs: o.ackWindowMs ?? 5,
    ackAttempts: o.ackAttempts ?? 5,
    requestTimeout: o.requestTimeout ?? DEFAULT_REQUEST_TIMEOUT,
  };
}
