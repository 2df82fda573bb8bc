/**
 * The Redis Streams producer's options: one zod schema, in which every
 * option carries its default (`.default()`) and its description
 * (`.meta()`). The types are derived from it; docs/producers/redis.md's
 * table is generated from it.
 */
import { parseOptions, positiveMs } from '@sluice/core/options';
import { z } from 'zod';

const int = (min: number, max: number) => {
  const error = `expected an integer from ${min} to ${max}`;
  return z.int({ error }).min(min, { error }).max(max, { error });
};
const nonNegativeMs = z
  .number({ error: 'expected a non-negative number of ms' })
  .nonnegative({ error: 'expected a non-negative number of ms' })
  .finite({ error: 'expected a non-negative number of ms' });
const key = (what: string) =>
  z.string({ error: `expected a ${what}` }).min(1, { error: `expected a non-empty ${what}` });

const URL_ERROR = 'expected a redis:// or rediss:// URL: give `url` or set REDIS_URL';

const url = z.string({ error: URL_ERROR }).regex(/^rediss?:\/\/\S*$/, { error: URL_ERROR });

const backoff = (initial: number, max: number, what: string) =>
  z
    .object({
      initial: nonNegativeMs.default(initial).meta({
        description: `The first ${what} delay, in ms; each next one doubles it.`,
      }),
      max: nonNegativeMs.default(max).meta({ description: `The longest ${what} delay, in ms.` }),
    })
    .strict()
    .prefault({});

/**
 * The producer's options as a plain object schema, for reuse (the `sluice`
 * CLI may extend it for pipeline files).
 */
export const redisOptionsObject = z
  .object({
    url: url.optional().meta({
      description:
        'The server, e.g. `redis://:password@host:6379/0` (`rediss://` for TLS). Without it, the `REDIS_URL` environment variable; one of them is required.',
    }),
    stream: key('stream key').meta({ description: 'The stream to read, e.g. `orders`.' }),
    group: key('consumer group name').meta({
      description:
        'The consumer group the pipeline reads as; pipelines in one group share the work.',
    }),
    consumer: key('consumer name').optional().meta({
      description:
        'The consumer name prefix; instance `i` reads as `<consumer>-<i>`. Without it, `<hostname>-<pid>`, so each process is a new consumer and a dead one is claimed from after `claimIdle`.',
    }),
    createGroup: z.boolean({ error: 'expected a boolean' }).default(true).meta({
      description:
        'Create the group (and the stream, with MKSTREAM) at start when it does not exist; with `false`, a missing group fails the start.',
    }),
    groupStartId: key('stream id').default('0').meta({
      description:
        "Where a group created by `createGroup` starts: `'0'` reads the stream's existing entries, `'$'` only new ones.",
    }),
    count: int(1, 10_000).default(100).meta({
      description: 'The most entries one XREADGROUP asks for (less when the demand is smaller).',
    }),
    block: int(1, 60_000).default(5000).meta({
      description: 'How long one XREADGROUP waits for new entries (BLOCK), in ms.',
    }),
    maxAttempts: int(1, 1000).default(5).meta({
      description:
        'Handlings of an entry, the first included (its delivery count, as XPENDING reports it); a failure at this count sends it to `deadLetterStream`.',
    }),
    retryBackoff: backoff(1000, 60_000, 'retry').meta({
      description:
        'A failed entry stays pending and is claimed back after `initial · 2^(deliveries − 1)` ms, at most `max`.',
    }),
    deadLetterStream: key('stream key').optional().meta({
      description:
        'Where entries that failed `maxAttempts` times are added (their fields, and the reason in `sluice-failure-reason`), then acked. Without it, `<stream>:dead-letter`.',
    }),
    claimIdle: positiveMs.default(60_000).meta({
      description:
        'Entries pending this long (ms) with any consumer, e.g. a dead one, are claimed with XAUTOCLAIM. The entries a live consumer holds are kept from it: their idle time is reset every third of it (XCLAIM … JUSTID). Keep it above `retryBackoff.max`.',
    }),
    claimInterval: positiveMs.default(10_000).meta({
      description: 'How often each instance looks for entries to claim (XAUTOCLAIM), in ms.',
    }),
    ackWindowMs: nonNegativeMs.default(5).meta({
      description: 'How long an ack waits for more acks to share its XACK, in ms.',
    }),
    ackBatchSize: int(1, 10_000).default(500).meta({
      description: 'The most ids one XACK carries.',
    }),
    reconnectBackoff: backoff(100, 5000, 'reconnect').meta({
      description:
        'Between attempts to reconnect a lost connection, and between failed reads: jittered, doubling from `initial` to `max` ms.',
    }),
    requestTimeout: positiveMs.default(10_000).meta({
      description:
        'The longest one Redis call may take, in ms (a read: its `block` plus this); a call that outlives it fails with `ERR_BROKER_TIMEOUT`, a transient error.',
    }),
  })
  .strict();

/**
 * Fills `url` from `REDIS_URL` (blank counts as unset) when it is not
 * given; one of them is required. For {@link redisOptionsObject} and what
 * extends it.
 */
export function withRedisUrl<T extends { url?: string | undefined }>(
  o: T,
  ctx: z.RefinementCtx,
): T & { url: string } {
  const fromEnv = process.env['REDIS_URL']?.trim();
  const value = o.url ?? (fromEnv === '' ? undefined : fromEnv);
  if (value === undefined || !/^rediss?:\/\/\S*$/.test(value)) {
    ctx.addIssue({
      code: 'custom',
      path: ['url'],
      input: value,
      message:
        value === undefined
          ? 'required: give `url` or set the REDIS_URL environment variable'
          : `REDIS_URL: ${URL_ERROR}`,
    });
    return { ...o, url: '' };
  }
  return { ...o, url: value };
}

/** The whole schema of `redisProducer`'s options. */
export const redisOptionsSchema = redisOptionsObject.transform(withRedisUrl);

/** Options of `redisProducer`: see docs/producers/redis.md, or each option's description. */
export type RedisProducerOptions = z.input<typeof redisOptionsSchema>;

/** The options with every default filled in. */
export type ResolvedRedisOptions = z.output<typeof redisOptionsSchema>;

/** Validates `input`; throws `InvalidOptionsError` naming every bad option. */
export function resolveRedisOptions(input: RedisProducerOptions): ResolvedRedisOptions {
  return parseOptions(redisOptionsSchema, input, 'redis producer options');
}
