/**
 * The HTTP sink's options: one zod schema, each option with its default
 * and description; the types are derived from it and docs/sinks.md's
 * table is generated from it.
 */
import { parseOptions } from '@sluice/core/options';
import { z } from 'zod';
import { retryBackoffSchema } from '../internal/backoff.ts';

const ms = (error: string) => z.number({ error }).positive({ error }).finite({ error });

/** The HTTP sink's options as written. */
export const httpSinkOptionsObject = z
  .object({
    url: z
      .string({ error: 'expected an http:// or https:// URL' })
      .regex(/^https?:\/\/\S+$/, { error: 'expected an http:// or https:// URL' })
      .meta({ description: 'Where requests go.' }),
    method: z
      .enum(['POST', 'PUT', 'PATCH'], { error: "expected 'POST', 'PUT' or 'PATCH'" })
      .default('POST')
      .meta({ description: 'The request method.' }),
    per: z
      .enum(['batch', 'message'], { error: "expected 'batch' or 'message'" })
      .default('batch')
      .meta({
        description:
          "`'batch'`: one request per batch, its body a JSON array of the messages' data (the whole batch succeeds or fails together); `'message'`: one request per message, its body that message's data.",
      }),
    headers: z
      .record(z.string(), z.string({ error: 'expected a string' }))
      .default({})
      .meta({
        description: 'Extra request headers, e.g. `authorization`; `content-type` is JSON.',
      }),
    retries: z
      .int({ error: 'expected an integer from 0 to 20' })
      .min(0, { error: 'expected an integer from 0 to 20' })
      .max(20, { error: 'expected an integer from 0 to 20' })
      .default(3)
      .meta({
        description:
          'Retries of a request that got a 5xx, 408 or 429, timed out, or could not connect; a 4xx is not retried.',
      }),
    retryBackoff: retryBackoffSchema,
    timeout: ms('expected a positive number of ms').default(10_000).meta({
      description: 'How long one request may take, in ms, before it is retried or fails.',
    }),
    concurrency: z
      .int({ error: 'expected an integer from 1 to 1000' })
      .min(1, { error: 'expected an integer from 1 to 1000' })
      .max(1000, { error: 'expected an integer from 1 to 1000' })
      .default(8)
      .meta({
        description:
          'Requests in flight at once, across batches; further writes wait, which slows the batchers.',
      }),
  })
  .strict();

/** The options {@link httpSink} takes. */
export type HttpSinkOptions = z.input<typeof httpSinkOptionsObject>;
/** The options after defaults. */
export type ResolvedHttpSinkOptions = z.output<typeof httpSinkOptionsObject>;

/** Parses the options, throwing an `InvalidOptionsError` naming each bad one. */
export function parseHttpSinkOptions(input: unknown): ResolvedHttpSinkOptions {
  return parseOptions(httpSinkOptionsObject, input, 'http sink options');
}
