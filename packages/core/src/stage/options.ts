/**
 * The schemas of stage and subscription options, parsed once at the
 * boundary: each option's default and description are written here only,
 * and the types in types.ts derive from them.
 */
import { parseOptions, zFunction } from '../options/parse.ts';
import { optionBlocks } from '../options/blocks.ts';
import { lazily, zod } from '../options/zod.ts';
import type { Logger } from '../logger.ts';
import type { Dispatcher } from './dispatcher.ts';
import type {
  ResolvedSubscriptionOptions,
  SubscribeTarget,
  Subscription,
  SubscriptionOptions,
} from './types.ts';

/**
 * The stage and subscription option schemas, built (and zod loaded) on the
 * first call.
 */
export const stageOptionSchemas = lazily(() => {
  const z = zod();
  const { nonNegativeInt, positiveInt } = optionBlocks();

  /** What a consumer does when one of its subscriptions ends. */
  const cancelMode = z.enum(['permanent', 'transient', 'temporary']);
  /** Whether a producer passes demand on as it arrives or holds it. */
  const demandMode = z.enum(['forward', 'accumulate']);
  /** Which events survive when a stage's buffer is full. */
  const bufferKeep = z.enum(['first', 'last']);

  /** One consumer→producer subscription's options. */
  const subscriptionSchema = z
    .object({
      maxDemand: positiveInt.default(1000).meta({
        description: 'The most events this subscription has outstanding at once.',
      }),
      minDemand: nonNegativeInt.optional().meta({
        description:
          'Ask for more when outstanding demand falls to this or below, so events come in chunks of at most `maxDemand - minDemand`. Less than `maxDemand`; half of it when unset.',
      }),
      cancel: cancelMode.default('permanent').meta({
        description:
          'What the consumer does when this subscription ends: `permanent` stops it with the same reason, `transient` stops it unless the reason is normal, `temporary` keeps it running.',
      }),
      partition: z
        .union([z.string(), z.int()])
        .optional()
        .meta({ description: 'For a PartitionDispatcher producer: the partition to take.' }),
      selector: zFunction<(event: unknown) => boolean>().optional().meta({
        description: 'For a BroadcastDispatcher producer: which events this consumer wants.',
      }),
    })
    .strict()
    .superRefine((o, ctx) => {
      if (o.minDemand !== undefined && o.minDemand >= o.maxDemand) {
        ctx.addIssue({
          code: 'custom',
          path: ['minDemand'],
          message: `expected less than maxDemand (${o.maxDemand})`,
        });
      }
    })
    .transform((o) => ({ ...o, minDemand: o.minDemand ?? Math.floor(o.maxDemand / 2) }));

  const bufferSize = z.custom<number>(
    (v) => v === Infinity || (Number.isInteger(v) && (v as number) >= 0),
    { error: 'expected a non-negative integer or Infinity' },
  );

  const base = {
    name: z
      .string()
      .min(1)
      .optional()
      .meta({ description: 'A name for logs and telemetry; `<kind>-<n>` when unset.' }),
    logger: z
      .custom<Logger>((v) => typeof v === 'object' && v !== null, { error: 'expected a logger' })
      .optional()
      .meta({
        description: 'A pino-compatible logger; a quiet pino logger on stderr when unset.',
      }),
  };
  const emitter = {
    bufferKeep: bufferKeep.default('last').meta({
      description: 'Which events survive when the buffer is full: the first or the last.',
    }),
    dispatcher: z
      .custom<Dispatcher<unknown, Subscription>>(
        (v) =>
          typeof v === 'object' &&
          v !== null &&
          ['subscribe', 'cancel', 'ask', 'dispatch', 'info'].every(
            (m) => typeof (v as Record<string, unknown>)[m] === 'function',
          ),
        { error: 'expected a Dispatcher (subscribe, cancel, ask, dispatch, info)' },
      )
      .optional()
      .meta({
        description: 'How events are shared among consumers; a new DemandDispatcher when unset.',
      }),
  };
  const receiver = {
    subscribeTo: z
      .array(z.custom<SubscribeTarget<unknown>>())
      .readonly()
      .optional()
      .meta({ description: 'Producers to subscribe to once `init` has run.' }),
  };
  const heldEvents =
    'Events held while no consumer has demand; `Infinity` for no bound. Beyond it, events are discarded (see `bufferKeep`).';

  /** `producer()`'s options. */
  const producerOptionsSchema = z
    .object({
      ...base,
      ...emitter,
      bufferSize: bufferSize.default(10_000).meta({ description: heldEvents }),
      demand: demandMode.default('forward').meta({
        description:
          '`forward` passes demand to `handleDemand` as it arrives; `accumulate` holds demand and emitted events until switched to `forward`, e.g. until every consumer has subscribed.',
      }),
    })
    .strict();
  /** `producerConsumer()`'s options. */
  const producerConsumerOptionsSchema = z
    .object({
      ...base,
      ...emitter,
      bufferSize: bufferSize.optional().meta({ description: `${heldEvents} No bound when unset.` }),
      ...receiver,
    })
    .strict();
  /** `consumer()`'s options. */
  const consumerOptionsSchema = z.object({ ...base, ...receiver }).strict();

  return {
    cancelMode,
    demandMode,
    bufferKeep,
    subscriptionSchema,
    producerOptionsSchema,
    producerConsumerOptionsSchema,
    consumerOptionsSchema,
  };
});

/** The schemas {@link stageOptionSchemas} builds. */
export type StageOptionSchemas = ReturnType<typeof stageOptionSchemas>;

/** Frozen inputs already resolved: they cannot have changed since. */
const resolvedFrozen = new WeakMap<object, ResolvedSubscriptionOptions<never>>();

/**
 * Validates subscription options, filling in every default. A frozen
 * input is validated once: later calls with the same object return the
 * same (frozen) result, so a pipeline whose 100 processors subscribe to
 * its producers with one frozen options object parses it once, not 100
 * times.
 */
export function resolveSubscriptionOptions<T>(
  input: SubscriptionOptions<T> | undefined,
): ResolvedSubscriptionOptions<T> {
  if (input === undefined || !Object.isFrozen(input)) {
    return parseOptions(
      stageOptionSchemas().subscriptionSchema,
      input ?? {},
      'subscription options',
    );
  }
  const known = resolvedFrozen.get(input) as ResolvedSubscriptionOptions<T> | undefined;
  if (known !== undefined) return known;
  const resolved = Object.freeze(
    parseOptions(stageOptionSchemas().subscriptionSchema, input, 'subscription options'),
  );
  resolvedFrozen.set(input, resolved);
  return resolved;
}
