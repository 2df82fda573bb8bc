/**
 * The NATS JetStream producer's options: one zod schema, in which every
 * option carries its default (`.default()`) and its description (`.meta()`).
 * The types are derived from it; docs/producers/nats.md's table is
 * generated from it.
 */
import { parseOptions, positiveInt, positiveMs } from '@sluice/core/options';
import { z } from 'zod';
import type { NatsClient } from './client.ts';

/** The environment variable `servers` falls back to. */
export const NATS_URL_ENV = 'NATS_URL';

const server = z
  .string({ error: 'expected a NATS server URL' })
  .regex(/^(nats|tls|ws|wss):\/\/\S+$|^[^\s/:]+:\d+$/, {
    error: 'expected a NATS server URL (nats://host:port) or host:port',
  });
const serverList = z
  .array(server, { error: 'expected a server URL or a list of them' })
  .min(1, { error: 'expected at least one server' })
  .readonly();
const name = z
  .string({ error: 'expected a name' })
  .regex(/^[^\s.*>]+$/, { error: 'expected a name without spaces, `.`, `*` or `>`' });
const subject = z
  .string({ error: 'expected a subject' })
  .regex(/^[^\s]+$/, { error: 'expected a subject without spaces' });
const bounds = (initial: number, max: number, what: string) =>
  z
    .object(
      {
        initial: positiveMs.default(initial).meta({ description: 'The first delay, in ms.' }),
        max: positiveMs.default(max).meta({ description: 'The longest delay, in ms.' }),
      },
      { error: 'expected { initial, max } in ms' },
    )
    .strict()
    .refine((b) => b.max >= b.initial, { error: 'expected max ≥ initial', path: ['max'] })
    .prefault({})
    .meta({ description: what });

/** The `decode` values: what `message.data` is. */
export const natsDecode = z.enum(['bytes', 'string', 'json']);
/** What `message.data` holds: see the `decode` option. */
export type NatsDecode = z.infer<typeof natsDecode>;

/** The `partitionBy` values: how the producer routes messages to processors. */
export const natsPartitionBy = z.enum(['subject', 'none']);
/** See the `partitionBy` option. */
export type NatsPartitionBy = z.infer<typeof natsPartitionBy>;

/** The servers in `NATS_URL` (comma-separated), or undefined when it is unset or blank. */
function serversFromEnv(): readonly string[] | undefined {
  const env = process.env[NATS_URL_ENV]?.trim();
  if (env === undefined || env === '') return undefined;
  return env.split(',').map((s) => s.trim());
}

/**
 * `servers`: a URL or a list, always a list once parsed. When it is not
 * given, the schema's final transform reads `NATS_URL` (a default from the
 * machine, so it is not written into the docs or the JSON Schema).
 */
const serversField = z
  .union([server.transform((s) => [s] as readonly string[]), serverList], {
    error: 'expected a NATS server URL (nats://host:port or host:port) or a list of them',
  })
  .optional();
const servers = serversField.meta({
  description: `The NATS servers, e.g. \`nats://127.0.0.1:4222\` or a list. Default: the \`${NATS_URL_ENV}\` environment variable (comma-separated); without either, the producer refuses to start.`,
});

/**
 * The producer's options as a plain object schema, for reuse (the `sluice`
 * CLI may extend it). The cross-field rules are in {@link natsOptionsRules}.
 */
export const natsOptionsObject = z
  .object({
    servers,
    stream: name.meta({ description: 'The JetStream stream to read, e.g. `ORDERS`.' }),
    consumer: name.meta({
      description:
        'The durable pull consumer to read through, e.g. `billing`. Every producer instance and every process that names it shares its messages.',
    }),
    client: z
      .custom<NatsClient>((v) => typeof (v as Partial<NatsClient> | null)?.fetch === 'function', {
        error: 'expected a NatsClient (fetch, publish, flush, consumerAckWait, close)',
      })
      .optional()
      .meta({
        description:
          'A `NatsClient` to read through instead of connecting to `servers` (tests, a custom transport); left open on stop. `servers` is then not needed.',
      }),
    createConsumer: z.boolean({ error: 'expected a boolean' }).default(false).meta({
      description:
        'Create the durable consumer when it does not exist (explicit acks, `ackWait`, `filterSubject`, no `max_deliver`: the producer counts attempts). An existing consumer is used as it is.',
    }),
    filterSubject: subject.optional().meta({
      description:
        'With `createConsumer`: the subject filter of the consumer created, e.g. `orders.>`. Without it, the whole stream.',
    }),
    ackWait: positiveMs.min(1000, { error: 'expected at least 1000 ms' }).default(30_000).meta({
      description:
        "With `createConsumer`: how long the server waits for an ack before redelivering, in ms. An existing consumer's own is used. `working()` heartbeats go out every half of it.",
    }),
    maxMessages: positiveInt.max(10_000, { error: 'expected at most 10000' }).default(256).meta({
      description:
        'The most messages one pull (`fetch`) asks for; a pull asks for the unmet demand, up to this.',
    }),
    maxConcurrentFetches: positiveInt.max(64, { error: 'expected at most 64' }).default(4).meta({
      description:
        'The most pulls one producer instance runs at once, each for the demand the others have not asked for.',
    }),
    fetchExpires: positiveMs.min(1000, { error: 'expected at least 1000 ms' }).default(5000).meta({
      description:
        'How long one pull waits for messages on the server before it ends and the next one starts, in ms.',
    }),
    decode: natsDecode.default('bytes').meta({
      description:
        "What `message.data` is: the payload as it came (`'bytes'`, a `Uint8Array`), UTF-8 text (`'string'`), or parsed JSON (`'json'`; a payload that does not parse fails its message, which then follows the failure policy).",
    }),
    partitionBy: natsPartitionBy.default('none').meta({
      description:
        "How the producer routes messages to processors when the pipeline sets no `partitionBy`: `'none'` spreads them over every processor, in no order (as Broadway does unless asked); `'subject'` keeps each subject on one processor, in stream order.",
    }),
    maxAttempts: positiveInt.max(1000, { error: 'expected at most 1000' }).default(5).meta({
      description:
        "How many times a message is handled, the first included, before it is given up: `term`ed, and published to `deadLetterSubject` when set. Counted from the server's delivery count.",
    }),
    retryBackoff: bounds(
      1000,
      60_000,
      'A failed message is `nak`ed with the delay `initial · 2^(deliveries − 1)` ms, at most `max`, then redelivered.',
    ),
    deadLetterSubject: subject.optional().meta({
      description:
        'Where a message is published, with its headers and the reason in the `sluice-failure-reason` header, once it has failed `maxAttempts` times; it is then `term`ed. Without it, it is `term`ed only.',
    }),
    heartbeat: z.boolean({ error: 'expected a boolean' }).default(true).meta({
      description:
        "Send `working()` for every message the pipeline holds, every half of the consumer's `ackWait`, so a slow message is not redelivered.",
    }),
    confirmAcks: z.boolean({ error: 'expected a boolean' }).default(false).meta({
      description:
        'Ack with a confirmed ack (`ackAck`, one round trip per message) instead of a plain ack that is flushed once per group of acks: slower, but an ack settles only once JetStream has recorded it.',
    }),
    reconnectBackoff: bounds(
      250,
      10_000,
      'Pauses between reconnect attempts after the connection is lost (jittered); the client retries for ever until the producer stops.',
    ),
    connectionName: z.string({ error: 'expected a string' }).default('sluice').meta({
      description: 'The connection name the server shows (e.g. in `nats server report`).',
    }),
    requestTimeout: positiveMs.default(10_000).meta({
      description:
        'The longest one NATS call may take (connect, consumer info, publish, flush, a confirmed ack; a pull: `fetchExpires` plus this), in ms; a call that outlives it fails with `ERR_BROKER_TIMEOUT`.',
    }),
  })
  .strict();

/** The rules across options, for {@link natsOptionsObject} and what extends it. */
export function natsOptionsRules(
  o: z.output<typeof natsOptionsObject>,
  ctx: z.RefinementCtx,
): void {
  if (o.servers === undefined && o.client === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['servers'],
      message: `required: give servers (a NATS server URL or a list) or set the ${NATS_URL_ENV} environment variable`,
    });
  }
  if (o.filterSubject !== undefined && !o.createConsumer) {
    ctx.addIssue({
      code: 'custom',
      path: ['filterSubject'],
      message: 'filterSubject applies only with createConsumer: true',
    });
  }
}

/** Fills in `servers` from `NATS_URL` when it was not given. */
export function withServersFromEnv<O extends { readonly servers?: readonly string[] | undefined }>(
  o: O,
): O {
  return o.servers === undefined ? { ...o, servers: serversFromEnv() } : o;
}

/** The whole schema of `natsProducer`'s options. */
export const natsOptionsSchema = natsOptionsObject
  .transform(withServersFromEnv)
  .superRefine(natsOptionsRules);

/** Options of `natsProducer`: see docs/producers/nats.md, or each option's description. */
export type NatsProducerOptions = z.input<typeof natsOptionsSchema>;

/** The options with every default filled in. */
export type ResolvedNatsOptions = z.output<typeof natsOptionsSchema>;

/** Validates `input`; throws `InvalidOptionsError` naming every bad option. */
export function resolveNatsOptions(input: NatsProducerOptions): ResolvedNatsOptions {
  return parseOptions(natsOptionsSchema, input, 'nats producer options');
}
