/**
 * The Kafka producer's options: one zod schema, parsed once by
 * {@link resolveKafkaOptions}, with every default filled in here and
 * nowhere else.
 */
import { parseOptions } from '@sluice/core/options';
import { z } from 'zod';
import { name, positiveInt, positiveMs } from '@sluice/core/options';
import type { KafkaClient } from './client.ts';

/** SASL credentials, passed through to the client library as they are. */
export interface KafkaSasl {
  readonly mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512';
  readonly username: string;
  readonly password: string;
}

/** Options of `kafkaProducer`. docs/producers/kafka.md has the full table. */
export interface KafkaProducerOptions {
  /** Bootstrap brokers, `host:port`. @defaultValue `KAFKA_BROKERS`, else 127.0.0.1:9092 */
  readonly brokers?: readonly string[];
  /** @defaultValue `'sluice'` */
  readonly clientId?: string;
  /** The consumer group. Several pipelines (or processes) with one group share the partitions. */
  readonly groupId: string;
  /** Topics to consume. They must exist: the producer checks at start. */
  readonly topics: readonly string[];
  /**
   * Where a partition without a committed offset starts: the earliest
   * offset (true) or the end (false). @defaultValue false
   */
  readonly fromBeginning?: boolean;
  /** @defaultValue 30000 */
  readonly sessionTimeout?: number;
  /** @defaultValue 3000 */
  readonly heartbeatInterval?: number;
  /** @defaultValue 60000 */
  readonly rebalanceTimeout?: number;
  /** Fetch sizes and wait, per fetch request. */
  readonly fetch?: {
    /** @defaultValue 1 */
    readonly minBytes?: number;
    /** @defaultValue 10 MiB */
    readonly maxBytes?: number;
    /** @defaultValue 1 MiB */
    readonly maxBytesPerPartition?: number;
    /** @defaultValue 500 */
    readonly maxWaitTimeInMs?: number;
  };
  /** TLS: true, or options for `tls.connect`. Passed through to the client. */
  readonly ssl?: boolean | Readonly<Record<string, unknown>>;
  /** SASL authentication, passed through to the client. */
  readonly sasl?: KafkaSasl;
  /**
   * `'partition'`: messages of one partition are handled in order, on one
   * processor. `'key'`: messages with the same key are handled in order,
   * different keys of a partition run concurrently. @defaultValue 'partition'
   */
  readonly ordering?: 'partition' | 'key';
  /**
   * What a failed message does once its retries are spent: `'skip'` commits
   * past it, `'dlq'` produces it to `dlq.topic` then commits past it,
   * `'halt'` stops its partition until `resume()`. @defaultValue 'skip'
   */
  readonly onFailure?: 'skip' | 'dlq' | 'halt';
  /** In-process retries of a failed message, in order, before `onFailure` applies. */
  readonly retry?: {
    /** Extra attempts. @defaultValue 0 */
    readonly attempts?: number;
    /** ms before retry n (1-based): `initial × 2^(n-1)`, at most `max`. */
    readonly backoff?: { readonly initial?: number; readonly max?: number };
  };
  /** The dead-letter topic, required with `onFailure: 'dlq'`. It must exist. */
  readonly dlq?: { readonly topic: string };
  /** How often acked offsets are committed (ms). @defaultValue 1000 */
  readonly commitInterval?: number;
  /**
   * How long a rebalance waits for in-flight messages before it lets go (ms).
   * @defaultValue a third of `rebalanceTimeout`, at most 10000
   */
  readonly revokeTimeout?: number;
  /**
   * Fetched messages buffered per partition at which its fetching pauses
   * (it resumes at half). Set, it alone decides.
   * @defaultValue pause once the buffer holds both the processors'
   * concurrency × maxDemand messages (between 100 and 10000) and
   * 2 × `fetch.maxBytesPerPartition` key and value bytes
   */
  readonly maxBufferedPerPartition?: number;
  /**
   * The longest one call to Kafka may take, in ms: connecting the admin
   * client and listing topics at start, each offset commit, connecting the
   * dead-letter publisher and each dead-letter send, leaving the group and
   * disconnecting at stop. A call that outlives it is abandoned and fails
   * with `ERR_BROKER_TIMEOUT`: a commit is tried again later, a dead-letter
   * send halts its partition (nothing is committed past the message).
   * @defaultValue 30000 (kafkajs's own request timeout)
   */
  readonly requestTimeout?: number;
  /** A client to use instead of a `KafkaJsClient` built from the options above. */
  readonly client?: KafkaClient;
}

/**
 * The producer's options as a plain object schema, for reuse (the `sluice`
 * CLI extends it for pipeline files). The cross-field rules are in `schema`.
 */
export const kafkaOptionsObject = z
  .object({
    brokers: z.array(name).min(1, { error: 'expected at least one broker' }).optional(),
    clientId: name.optional(),
    groupId: name,
    topics: z.array(name).min(1, { error: 'expected at least one topic' }),
    fromBeginning: z.boolean({ error: 'expected a boolean' }).optional(),
    sessionTimeout: positiveMs.optional(),
    heartbeatInterval: positiveMs.optional(),
    rebalanceTimeout: positiveMs.optional(),
    fetch: z
      .object({
        minBytes: positiveInt.optional(),
        maxBytes: positiveInt.optional(),
        maxBytesPerPartition: positiveInt.optional(),
        maxWaitTimeInMs: positiveMs.optional(),
      })
      .strict()
      .optional(),
    ssl: z.union([z.boolean(), z.record(z.string(), z.unknown())]).optional(),
    sasl: z
      .object({
        mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']),
        username: z.string(),
        password: z.string(),
      })
      .strict()
      .optional(),
    ordering: z.enum(['partition', 'key']).optional(),
    onFailure: z.enum(['skip', 'dlq', 'halt']).optional(),
    retry: z
      .object({
        attempts: z
          .int({ error: 'expected a non-negative integer' })
          .nonnegative({ error: 'expected a non-negative integer' })
          .optional(),
        backoff: z
          .object({ initial: positiveMs.optional(), max: positiveMs.optional() })
          .strict()
          .optional(),
      })
      .strict()
      .optional(),
    dlq: z.object({ topic: name }).strict().optional(),
    commitInterval: positiveMs.optional(),
    revokeTimeout: positiveMs.optional(),
    maxBufferedPerPartition: positiveInt.optional(),
    requestTimeout: positiveMs.optional().meta({
      description:
        'The longest one call to Kafka may take, in ms (commit, dead-letter send, connect, leave); a call that outlives it fails with ERR_BROKER_TIMEOUT. Default 30000.',
    }),
    client: z
      .custom<KafkaClient>(
        (v) =>
          typeof v === 'object' && v !== null && typeof (v as KafkaClient).admin === 'function',
        { error: 'expected a KafkaClient' },
      )
      .optional(),
  })
  .strict();

/**
 * The rules across options (`onFailure` needs its settings, one timeout
 * below another), for {@link kafkaOptionsObject} and what extends it: the `sluice`
 * CLI's pipeline files apply them too, so a file reports them with their
 * path and line.
 */
export function kafkaOptionsRules(
  o: z.output<typeof kafkaOptionsObject>,
  ctx: z.RefinementCtx,
): void {
  if (o.onFailure === 'dlq' && o.dlq === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['dlq'],
      message: "expected { topic }, required with onFailure: 'dlq'",
    });
  }
  const session = o.sessionTimeout ?? 30_000;
  if (o.heartbeatInterval !== undefined && o.heartbeatInterval >= session) {
    ctx.addIssue({
      code: 'custom',
      path: ['heartbeatInterval'],
      message: `expected less than sessionTimeout (${session})`,
    });
  }
  const rebalance = o.rebalanceTimeout ?? 60_000;
  if (o.revokeTimeout !== undefined && o.revokeTimeout >= rebalance) {
    ctx.addIssue({
      code: 'custom',
      path: ['revokeTimeout'],
      message: `expected less than rebalanceTimeout (${rebalance})`,
    });
  }
}

const schema = kafkaOptionsObject.superRefine(kafkaOptionsRules);

/** The options with every default filled in. */
export interface ResolvedKafkaOptions {
  readonly brokers: readonly string[] | undefined;
  readonly clientId: string;
  readonly groupId: string;
  readonly topics: readonly string[];
  readonly fromBeginning: boolean;
  readonly sessionTimeout: number;
  readonly heartbeatInterval: number;
  readonly rebalanceTimeout: number;
  readonly fetch: {
    readonly minBytes: number;
    readonly maxBytes: number;
    readonly maxBytesPerPartition: number;
    readonly maxWaitTimeInMs: number;
  };
  readonly ssl: boolean | Readonly<Record<string, unknown>> | undefined;
  readonly sasl: KafkaSasl | undefined;
  readonly ordering: 'partition' | 'key';
  readonly onFailure: 'skip' | 'dlq' | 'halt';
  readonly retry: { readonly attempts: number; readonly initial: number; readonly max: number };
  readonly dlqTopic: string | undefined;
  readonly commitInterval: number;
  readonly revokeTimeout: number;
  readonly maxBufferedPerPartition: number | undefined;
  readonly requestTimeout: number;
  readonly client: KafkaClient | undefined;
}

/** Validates `options` (errors name every bad option) and fills in the defaults. */
export function resolveKafkaOptions(options: KafkaProducerOptions): ResolvedKafkaOptions {
  const o = parseOptions(schema, options, 'kafka producer options');
  const rebalanceTimeout = o.rebalanceTimeout ?? 60_000;
  return {
    brokers: o.brokers,
    clientId: o.clientId ?? 'sluice',
    groupId: o.groupId,
    topics: o.topics,
    fromBeginning: o.fromBeginning ?? false,
    sessionTimeout: o.sessionTimeout ?? 30_000,
    heartbeatInterval: o.heartbeatInterval ?? 3_000,
    rebalanceTimeout,
    fetch: {
      minBytes: o.fetch?.minBytes ?? 1,
      maxBytes: o.fetch?.maxBytes ?? 10 * 1024 * 1024,
      maxBytesPerPartition: o.fetch?.maxBytesPerPartition ?? 1024 * 1024,
      maxWaitTimeInMs: o.fetch?.maxWaitTimeInMs ?? 500,
    },
    ssl: o.ssl,
    sasl: o.sasl,
    ordering: o.ordering ?? 'partition',
    onFailure: o.onFailure ?? 'skip',
    retry: {
      attempts: o.retry?.attempts ?? 0,
      initial: o.retry?.backoff?.initial ?? 100,
      max: o.retry?.backoff?.max ?? 10_000,
    },
    dlqTopic: o.dlq?.topic,
    commitInterval: o.commitInterval ?? 1_000,
    revokeTimeout: o.revokeTimeout ?? Math.min(10_000, Math.floor(rebalanceTimeout / 3)),
    maxBufferedPerPartition: o.maxBufferedPerPartition,
    requestTimeout: o.requestTimeout ?? 30_000,
    client: options.client,
  };
}

/** The delay before retry `attempt` (1-based): doubling from `initial`, capped at `max`. */
export function retryDelay(attempt: number, retry: { initial: number; max: number }): number {
  return Math.min(retry.max, retry.initial * 2 ** Math.max(0, attempt - 1));
}
