/**
 * The SQS sink's options: one zod schema, each option with its default
 * and description.
 */
import { name, parseOptions } from '@sluice/core/options';
import { z } from 'zod';
import { retryBackoffSchema } from '../internal/backoff.ts';

const count = (min: number, max: number) => {
  const error = `expected an integer from ${min} to ${max}`;
  return z.int({ error }).min(min, { error }).max(max, { error });
};

/** The SQS sink's options as written. */
export const sqsSinkOptionsObject = z
  .object({
    queueUrl: z
      .string({ error: 'expected a queue URL' })
      .regex(/^https?:\/\/\S+$/, { error: 'expected a queue URL (http:// or https://)' })
      .meta({ description: 'The queue every message is sent to.' }),
    region: name.optional().meta({
      description: "The AWS region; else the AWS SDK's own chain (`AWS_REGION`, profiles…).",
    }),
    endpoint: z
      .string({ error: 'expected an http:// or https:// URL' })
      .regex(/^https?:\/\/\S+$/, { error: 'expected an http:// or https:// URL' })
      .optional()
      .meta({
        description:
          "The SQS endpoint, e.g. ElasticMQ's `http://127.0.0.1:9324`; else the AWS SDK's own (`AWS_ENDPOINT_URL_SQS`…).",
      }),
    messageGroupId: name.optional().meta({
      description:
        "FIFO queues: a dotted path into each message's data (parsed as JSON) whose value is the message group id. The queue should deduplicate by content, or SQS refuses the entries.",
    }),
    retries: count(0, 20).default(3).meta({
      description:
        'Retries of the entries SQS failed on its side (not the sender’s fault) and of a call that got no answer; an entry refused as the sender’s fault fails at once.',
    }),
    retryBackoff: retryBackoffSchema,
    concurrency: count(1, 100).default(4).meta({
      description:
        'SendMessageBatch calls in flight at once, across batches; further writes wait, which slows the batchers.',
    }),
  })
  .strict();

/** The options {@link sqsSink} takes. */
export type SqsSinkOptions = z.input<typeof sqsSinkOptionsObject>;
/** The options after defaults. */
export type ResolvedSqsSinkOptions = z.output<typeof sqsSinkOptionsObject>;

/** Parses the options, throwing an `InvalidOptionsError` naming each bad one. */
export function parseSqsSinkOptions(input: unknown): ResolvedSqsSinkOptions {
  return parseOptions(sqsSinkOptionsObject, input, 'sqs sink options');
}
