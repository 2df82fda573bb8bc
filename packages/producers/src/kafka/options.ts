/**
 * The Kafka producer's options: one zod schema. Each option's default and
 * description are written here once; the types, the docs table and the
 * JSON Schema are derived from it.
 */
import { z } from 'zod';
import {
  name,
  nonNegativeInt,
  parseOptions,
  positiveInt,
  positiveMs,
  warnDeprecated,
} from '@sluice/core/options';
import {
  DEFAULT_CLIENT_ID,
  KAFKA_BROKERS_ENV,
  MISSING_BROKERS,
  kafkaBrokersFromEnv,
} from './brokers.ts';
import type { KafkaClient } from './client.ts';
import { podInstanceId } from './membership.ts';

/** How messages are kept in order: per `'partition'`, or per `'key'`. */
export const kafkaOrdering = z.enum(['partition', 'key']);
export type KafkaOrdering = z.infer<typeof kafkaOrdering>;

/** What a message that failed every attempt does: `'skip'`, `'dlq'` or `'halt'`. */
export const kafkaOnFailure = z.enum(['skip', 'dlq', 'halt']);
export type KafkaOnFailure = z.infer<typeof kafkaOnFailure>;

const sasl = z
  .object({
    mechanism: z
      .enum(['plain', 'scram-sha-256', 'scram-sha-512'])
      .meta({ description: 'The SASL mechanism.' }),
    username: z.string().meta({ description: 'The SASL user name.' }),
    password: z.string().meta({ description: 'The SASL password.' }),
  })
  .strict();

/** The client libraries the producer can build its client on. */
export const kafkaClientLibrary = z.enum(['kafkajs', 'platformatic']);
export type KafkaClientLibrary = z.infer<typeof kafkaClientLibrary>;

/** The consumer-group protocol: KIP-848 `'consumer'`, `'classic'`, or `'auto'` (the first the broker has). */
export const kafkaGroupProtocol = z.enum(['auto', 'classic', 'consumer']);

/** SASL credentials, passed through to the client library as they are. */
export type KafkaSasl = z.input<typeof sasl>;

const retryFields = z
  .object({
    maxAttempts: positiveInt.default(1).meta({
      description:
        'How many times a failed message is handled in all, the first time included, before `onFailure` applies; retries are in order, in process.',
    }),
    attempts: nonNegativeInt.optional().meta({
      deprecated: true,
      description:
        'Deprecated: use `maxAttempts`, which is `attempts` + 1 (the first handling included).',
    }),
    backoff: z
      .object({
        initial: positiveMs.default(100).meta({ description: 'ms before the first retry.' }),
        max: positiveMs.default(10_000).meta({
          description:
            'The longest wait before a retry, in ms; each retry waits twice the one before.',
        }),
      })
      .strict()
      .prefault({})
      .meta({ description: 'ms before retry n: `initial × 2^(n−1)`, at most `max`.' }),
  })
  .strict();

/** `retry`, with the deprecated `attempts` moved to `maxAttempts` (it counts handlings). */
const retry = z
  .preprocess((input: z.input<typeof retryFields>, ctx) => {
    const both = input?.attempts !== undefined && input.maxAttempts !== undefined;
    if (both) {
      ctx.addIssue({
        code: 'custom',
        path: ['attempts'],
        message: 'expected maxAttempts or attempts (deprecated), not both',
        input,
      });
    }
    return input;
  }, retryFields)
  .transform(({ attempts, ...rest }) => {
    if (attempts === undefined) return rest;
    warnDeprecated(
      'SLUICE_DEP_KAFKA_RETRY_ATTEMPTS',
      'kafka producer option retry.attempts is deprecated: use retry.maxAttempts, which counts every handling, the first included (maxAttempts = attempts + 1)',
    );
    return { ...rest, maxAttempts: attempts + 1 };
  });

/**
 * The producer's options as a plain object schema, for reuse (the `sluice`
 * CLI extends it for pipeline files). The cross-field rules are
 * {@link kafkaOptionsRules}.
 */
export const kafkaOptionsObject = z
  .object({
    brokers: z
      .array(name)
      .min(1, { error: 'expected at least one broker' })
      .readonly()
      .optional()
      .meta({
        description: `Bootstrap brokers, \`host:port\`; else \`${KAFKA_BROKERS_ENV}\` (comma-separated). Required without \`client\`.`,
      }),
    clientId: name
      .default(DEFAULT_CLIENT_ID)
      .meta({ description: 'The client id the brokers see.' }),
    groupId: name.meta({
      description:
        'The consumer group: every pipeline or process with the same group shares the partitions.',
    }),
    topics: z
      .array(name)
      .min(1, { error: 'expected at least one topic' })
      .readonly()
      .meta({ description: 'Topics to read. They must exist: `start()` checks.' }),
    fromBeginning: z.boolean({ error: 'expected a boolean' }).default(false).meta({
      description:
        'Where a partition without a committed offset starts: the earliest offset (`true`) or the end (`false`).',
    }),
    sessionTimeout: positiveMs.default(30_000).meta({
      description: 'ms without heartbeats after which the group drops a member.',
    }),
    heartbeatInterval: positiveMs.default(3_000).meta({
      description: 'ms between heartbeats; below `sessionTimeout`.',
    }),
    rebalanceTimeout: positiveMs.default(60_000).meta({
      description: 'ms the group waits for its members to rejoin in a rebalance.',
    }),
    groupInstanceId: name.optional().meta({
      description:
        "Static membership: a member that restarts with the same id before its session expires gets its partitions back without a rebalance. Producer instance i > 0 appends `-i`. Unset: the pod's `HOSTNAME` inside Kubernetes (`KUBERNETES_SERVICE_HOST` set), else none. Not with `client: 'kafkajs'`.",
    }),
    groupProtocol: kafkaGroupProtocol.default('auto').meta({
      description:
        "`'auto'`: `'consumer'` where the brokers run it (Kafka 4.0+ with `group.version` 1), else `'classic'`. `'consumer'`: KIP-848, the broker assigns and a rebalance pauses only the partitions that move; start-up fails if the brokers refuse it. `'classic'`: JoinGroup/SyncGroup, every member rejoins. kafkajs speaks only `'classic'`.",
    }),
    fetch: z
      .object({
        minBytes: positiveInt.default(1).meta({ description: 'Bytes a fetch waits for.' }),
        maxBytes: positiveInt
          .default(10 * 1024 * 1024)
          .meta({ description: 'The most bytes one fetch returns.' }),
        maxBytesPerPartition: positiveInt
          .default(1024 * 1024)
          .meta({ description: 'The most bytes one fetch returns per partition.' }),
        maxWaitTimeInMs: positiveMs.default(500).meta({
          description: 'How long a fetch waits for `minBytes`, in ms.',
        }),
      })
      .strict()
      .prefault({})
      .meta({ description: 'Fetch request sizes and long-poll wait.' }),
    ssl: z
      .union([z.boolean(), z.record(z.string(), z.unknown())])
      .optional()
      .meta({ description: 'TLS: `true`, or options for `tls.connect`; passed to the client.' }),
    sasl: sasl.optional().meta({
      description: 'SASL authentication `{ mechanism, username, password }`; passed to the client.',
    }),
    ordering: kafkaOrdering.default('partition').meta({
      description:
        "`'partition'`: a partition's messages are handled in order, on one processor. `'key'`: messages with one key are handled in order, different keys concurrently.",
    }),
    onFailure: kafkaOnFailure.default('skip').meta({
      description:
        "What a message that failed every attempt does: `'skip'` commits past it, `'dlq'` produces it to `dlq.topic` then commits past it, `'halt'` stops its partition until `resume()`.",
    }),
    retry: retry.prefault({}).meta({
      description: 'In-process retries of a failed message, in order, before `onFailure` applies.',
    }),
    dlq: z
      .object({
        topic: name.meta({ description: 'The dead-letter topic. It must exist.' }),
      })
      .strict()
      .optional()
      .meta({ description: "The dead-letter topic, required with `onFailure: 'dlq'`." }),
    commitInterval: positiveMs.default(1_000).meta({
      description: 'ms between offset commits of what was acked.',
    }),
    revokeTimeout: positiveMs.optional().meta({
      description:
        'How long a rebalance waits for in-flight messages before it lets go, in ms; below `rebalanceTimeout`. Defaults to a third of `rebalanceTimeout`, at most 10000.',
    }),
    maxBufferedPerPartition: positiveInt.optional().meta({
      description:
        "Fetched messages buffered per partition at which its fetching pauses (it resumes at half); set, it alone decides. Unset, fetching pauses once the buffer holds both the processors' concurrency × maxDemand messages (100 to 10000) and 2 × `fetch.maxBytesPerPartition` bytes.",
    }),
    requestTimeout: positiveMs.default(30_000).meta({
      description:
        'The longest one call to Kafka may take, in ms (connect and list topics at start, commit, dead-letter connect and send, leave at stop); a call that outlives it fails with `ERR_BROKER_TIMEOUT`.',
    }),
    client: z
      .union(
        [
          kafkaClientLibrary,
          z.custom<KafkaClient>(
            (v) =>
              typeof v === 'object' && v !== null && typeof (v as KafkaClient).admin === 'function',
          ),
        ],
        { error: "expected 'kafkajs', 'platformatic' or a KafkaClient" },
      )
      .default('platformatic')
      .meta({
        description:
          "The client library, installed beside Sluice: `'platformatic'` (@platformatic/kafka 1.x: KIP-848, static membership), `'kafkajs'` (kafkajs 2.2; deprecated: unmaintained, classic protocol only, warns once with `SLUICE_DEP_KAFKA_CLIENT_KAFKAJS`), or a `KafkaClient` of your own, used instead of one built from the options above.",
      }),
  })
  .strict();

/**
 * The rules across options (`onFailure` needs its settings, one timeout
 * below another, brokers from somewhere), for {@link kafkaOptionsObject} and
 * what extends it: the `sluice` CLI's pipeline files apply them too, so a
 * file reports them with their path and line.
 */
export function kafkaOptionsRules(
  o: z.output<typeof kafkaOptionsObject>,
  ctx: z.RefinementCtx,
): void {
  const issue = (path: string, message: string) =>
    ctx.addIssue({ code: 'custom', path: [path], message });
  if (
    o.brokers === undefined &&
    typeof o.client === 'string' &&
    kafkaBrokersFromEnv() === undefined
  ) {
    issue('brokers', MISSING_BROKERS);
  }
  if (o.onFailure === 'dlq' && o.dlq === undefined) {
    issue('dlq', "expected { topic }, required with onFailure: 'dlq'");
  }
  if (o.heartbeatInterval >= o.sessionTimeout) {
    issue('heartbeatInterval', `expected less than sessionTimeout (${o.sessionTimeout})`);
  }
  if (o.client === 'kafkajs' && o.groupInstanceId !== undefined) {
    issue(
      'groupInstanceId',
      "kafkajs has no static membership: use client: 'platformatic', or leave groupInstanceId unset",
    );
  }
  if (o.client === 'kafkajs' && o.groupProtocol === 'consumer') {
    issue(
      'groupProtocol',
      "kafkajs speaks only the classic protocol: use client: 'platformatic' for 'consumer' (KIP-848), or 'auto'",
    );
  }
  if (o.revokeTimeout !== undefined && o.revokeTimeout >= o.rebalanceTimeout) {
    issue('revokeTimeout', `expected less than rebalanceTimeout (${o.rebalanceTimeout})`);
  }
}

/** The whole schema: the object, its rules, and the defaults computed from other options. */
export const kafkaOptionsSchema = kafkaOptionsObject
  .superRefine(kafkaOptionsRules)
  .transform((o) => ({
    ...o,
    brokers: o.brokers ?? kafkaBrokersFromEnv(),
    revokeTimeout: o.revokeTimeout ?? Math.min(10_000, Math.floor(o.rebalanceTimeout / 3)),
    // kafkajs cannot be a static member: the pod default applies to the others.
    groupInstanceId: o.groupInstanceId ?? (o.client === 'kafkajs' ? undefined : podInstanceId()),
  }));

/** Options of `kafkaProducer`; docs/producers/kafka.md has the table. */
export type KafkaProducerOptions = z.input<typeof kafkaOptionsSchema>;

/** The options with every default filled in. */
export type ResolvedKafkaOptions = z.output<typeof kafkaOptionsSchema>;

/** Validates `options` (one error names every bad option) and fills in the defaults. */
export function resolveKafkaOptions(options: KafkaProducerOptions): ResolvedKafkaOptions {
  return parseOptions(kafkaOptionsSchema, options, 'kafka producer options');
}
