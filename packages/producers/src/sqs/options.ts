/**
 * The SQS producer's options: one zod schema, in which every option carries
 * its default (`.default()`) and its description (`.meta()`). The types are
 * derived from it; docs/producers/sqs.md's table is generated from it.
 */
import type { SQSClient, SQSClientConfig } from '@aws-sdk/client-sqs';
import { parseOptions, positiveMs, warnDeprecated } from '@sluice/core/options';
import { z } from 'zod';
import type { SqsClient } from './client.ts';

/** The longest visibility timeout SQS accepts, in seconds (12 hours). */
export const MAX_VISIBILITY_TIMEOUT = 43_200;

const int = (min: number, max: number) => {
  const error = `expected an integer from ${min} to ${max}`;
  return z.int({ error }).min(min, { error }).max(max, { error });
};
const nonNegativeMs = z
  .number({ error: 'expected a non-negative number of ms' })
  .nonnegative({ error: 'expected a non-negative number of ms' })
  .finite({ error: 'expected a non-negative number of ms' });
const delayMs = nonNegativeMs.max(MAX_VISIBILITY_TIMEOUT * 1000, {
  error: `expected at most ${MAX_VISIBILITY_TIMEOUT * 1000} ms (12 h, SQS's longest visibility timeout)`,
});
const url = z
  .string({ error: 'expected a queue URL' })
  .regex(/^https?:\/\/\S+$/, { error: 'expected a queue URL (http:// or https://)' });
const names = z
  .array(z.string().min(1, { error: 'expected a non-empty name' }), {
    error: 'expected an array of names',
  })
  .readonly();

/** The `onSuccess` values: `'delete'` the message, or leave it (`'noop'`). */
export const sqsOnSuccess = z.enum(['delete', 'noop']);
/** What happens to a message that succeeded: see the `onSuccess` option. */
export type SqsOnSuccess = z.infer<typeof sqsOnSuccess>;

/** The `onFailure` values. */
export const sqsOnFailure = z.enum(['noop', 'retry', 'delete', 'deadLetter']);
/** What happens to a message that failed: see the `onFailure` option. */
export type SqsOnFailure = z.infer<typeof sqsOnFailure>;

/** How the `client` option may be given: any {@link SqsClient}, an `SQSClient`, or its config. */
export type SqsClientInput = SqsClient | SQSClient | SQSClientConfig;

const retryBackoffObject = z
  .object({
    initial: delayMs.default(1000).meta({
      description: "The delay of a message's first retry, in ms; each next one doubles it.",
    }),
    max: delayMs.default(900_000).meta({
      description: 'The longest retry delay, in ms (at most 12 h, rounded up to whole seconds).',
    }),
    baseSeconds: int(0, MAX_VISIBILITY_TIMEOUT)
      .optional()
      .meta({ deprecated: true, description: 'Deprecated: use `initial`, in ms (× 1000).' }),
    maxSeconds: int(0, MAX_VISIBILITY_TIMEOUT)
      .optional()
      .meta({ deprecated: true, description: 'Deprecated: use `max`, in ms (× 1000).' }),
  })
  .strict()
  .transform(({ initial, max, baseSeconds, maxSeconds }) => {
    if (baseSeconds !== undefined || maxSeconds !== undefined) {
      warnDeprecated(
        'SLUICE_DEP_SQS_RETRY_BACKOFF_SECONDS',
        'sqs producer: retryBackoff.baseSeconds and retryBackoff.maxSeconds are deprecated: ' +
          'use retryBackoff.initial and retryBackoff.max, in ms',
      );
    }
    return {
      initial: baseSeconds === undefined ? initial : baseSeconds * 1000,
      max: maxSeconds === undefined ? max : maxSeconds * 1000,
    };
  });

/** The renamed keys of `retryBackoff`: giving a key under both names is an error. */
const RENAMED_BACKOFF_KEYS = [
  ['baseSeconds', 'initial'],
  ['maxSeconds', 'max'],
] as const;

// Before the defaults fill in `initial` and `max`, so "given twice" can be told from "defaulted".
const retryBackoff = z
  .preprocess((value: z.input<typeof retryBackoffObject>, ctx) => {
    if (typeof value !== 'object' || value === null) return value;
    for (const [old, key] of RENAMED_BACKOFF_KEYS) {
      if (value[old] !== undefined && value[key] !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [old],
          input: value[old],
          message: `give ${key} or the deprecated ${old}, not both`,
        });
      }
    }
    return value;
  }, retryBackoffObject)
  .prefault({})
  .meta({
    description:
      "`onFailure: 'retry'`: a failed message is hidden for `initial · 2^(receives − 1)` ms, at most `max`, then redelivered.",
  });

/**
 * The producer's options as a plain object schema, for reuse (the `sluice`
 * CLI extends it for pipeline files). The cross-field rules are in
 * {@link sqsOptionsRules}.
 */
export const sqsOptionsObject = z
  .object({
    queueUrl: url.meta({
      description:
        "The queue's URL, e.g. `https://sqs.eu-west-1.amazonaws.com/123456789012/orders`.",
    }),
    client: z
      .custom<SqsClientInput>((v) => typeof v === 'object' && v !== null, {
        error: 'expected an SQSClient, its config, or an SqsClient',
      })
      .optional()
      .meta({
        description:
          "An `SQSClient` (left open on stop), the config to build one (closed on stop), or any `SqsClient`. Without it, an `SQSClient` on the AWS SDK's own region, credential and endpoint chain (`AWS_REGION`, `AWS_ENDPOINT_URL_SQS`, profiles…).",
      }),
    waitTimeSeconds: int(0, 20).default(20).meta({
      description: 'Long polling: how long one receive waits for messages, 0 to 20 s.',
    }),
    maxNumberOfMessages: int(1, 10).default(10).meta({
      description: 'The most messages one ReceiveMessage call asks for, 1 to 10.',
    }),
    maxConcurrentReceives: int(1, 100).default(10).meta({
      description:
        'The most ReceiveMessage calls one producer instance runs at once, when demand exceeds `maxNumberOfMessages`.',
    }),
    receiveInterval: nonNegativeMs.default(1000).meta({
      description: 'The pause after an empty receive before polling again, in ms.',
    }),
    visibilityTimeout: int(0, MAX_VISIBILITY_TIMEOUT).optional().meta({
      description:
        "The visibility timeout of received messages, 0 to 43200 s; the heartbeat extends by this much each time. Without it, the queue's own.",
    }),
    messageSystemAttributeNames: names
      .default(['All'])
      // `onFailure: 'retry'` needs every message's receive count.
      .transform((system) =>
        system.includes('All') || system.includes('ApproximateReceiveCount')
          ? system
          : [...system, 'ApproximateReceiveCount'],
      )
      .meta({
        description:
          'System attributes to receive, e.g. `[ApproximateReceiveCount, MessageGroupId]`; `ApproximateReceiveCount` is always added.',
      }),
    messageAttributeNames: names.default(['All']).meta({
      description: 'Message attributes to receive, or `[All]`.',
    }),
    onSuccess: sqsOnSuccess.default('delete').meta({
      description:
        "What happens to a message that succeeded: `'delete'` it, or leave it (`'noop'`).",
    }),
    onFailure: sqsOnFailure.default('noop').meta({
      description:
        "What happens to a message that failed: `'noop'` leaves it to be redelivered after its visibility timeout (and dead-lettered by the queue's redrive policy), `'retry'` redelivers it after `retryBackoff`, `'delete'` deletes it, `'deadLetter'` sends it to `deadLetterQueueUrl` with its reason in the `sluice-failure-reason` attribute, then deletes it.",
    }),
    deadLetterQueueUrl: url.optional().meta({
      description: "Where `onFailure: 'deadLetter'` sends failed messages.",
    }),
    retryBackoff,
    extendVisibility: z.boolean({ error: 'expected a boolean' }).default(true).meta({
      description: 'Extend the visibility of messages still in flight before it expires.',
    }),
    ackWindowMs: nonNegativeMs.default(5).meta({
      description: 'How long an ack waits for more acks to fill a DeleteMessageBatch of 10, in ms.',
    }),
    ackAttempts: int(1, 20).default(5).meta({
      description:
        'Calls per delete, visibility or dead-letter batch, the first included, when they fail transiently (throttling, 5xx, network, `ERR_BROKER_TIMEOUT`).',
    }),
    requestTimeout: positiveMs.default(10_000).meta({
      description:
        'The longest one SQS call may take, in ms (a receive: its long poll plus this); a call that outlives it is aborted and fails with `ERR_BROKER_TIMEOUT`, a transient error.',
    }),
  })
  .strict();

/**
 * The rules across options (`onFailure: 'deadLetter'` needs its queue), for
 * {@link sqsOptionsObject} and what extends it: the `sluice` CLI's pipeline
 * files apply them too, so a file reports them with their path and line.
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

/** The whole schema of `sqsProducer`'s options. */
export const sqsOptionsSchema = sqsOptionsObject.superRefine(sqsOptionsRules);

/** Options of `sqsProducer`: see docs/producers/sqs.md, or each option's description. */
export type SqsProducerOptions = z.input<typeof sqsOptionsSchema>;

/** The options with every default filled in. */
export type ResolvedSqsOptions = z.output<typeof sqsOptionsSchema>;

/** Validates `input`; throws `InvalidOptionsError` naming every bad option. */
export function resolveSqsOptions(input: SqsProducerOptions): ResolvedSqsOptions {
  return parseOptions(sqsOptionsSchema, input, 'sqs producer options');
}
