/** zod schemas for stage and subscription options, parsed once at the boundary. */
import { z } from 'zod';
import { parseOptions, zFunction } from '../options/parse.ts';
import { nonNegativeInt, positiveInt } from '../options/blocks.ts';
import type { ResolvedSubscriptionOptions, SubscriptionOptions } from './types.ts';

export const subscriptionSchema = z
  .object({
    maxDemand: positiveInt.optional(),
    minDemand: nonNegativeInt.optional(),
    cancel: z.enum(['permanent', 'transient', 'temporary']).optional(),
    partition: z.union([z.string(), z.int()]).optional(),
    selector: zFunction().optional(),
  })
  .strict()
  .superRefine((o, ctx) => {
    const max = o.maxDemand ?? 1000;
    if (o.minDemand !== undefined && o.minDemand >= max) {
      ctx.addIssue({
        code: 'custom',
        path: ['minDemand'],
        message: `expected less than maxDemand (${max})`,
      });
    }
  });

export function resolveSubscriptionOptions<T>(
  input: SubscriptionOptions<T> | undefined,
): ResolvedSubscriptionOptions<T> {
  const o = parseOptions(subscriptionSchema, input ?? {}, 'subscription options');
  const maxDemand = o.maxDemand ?? 1000;
  return {
    ...(input as SubscriptionOptions<T>),
    maxDemand,
    minDemand: o.minDemand ?? Math.floor(maxDemand / 2),
    cancel: o.cancel ?? 'permanent',
  };
}

const bufferSize = z.custom<number>(
  (v) => v === Infinity || (Number.isInteger(v) && (v as number) >= 0),
  {
    error: 'expected a non-negative integer or Infinity',
  },
);

const base = {
  name: z.string().min(1).optional(),
  logger: z
    .custom<object>((v) => typeof v === 'object' && v !== null, { error: 'expected a logger' })
    .optional(),
};
const emitter = {
  bufferSize: bufferSize.optional(),
  bufferKeep: z.enum(['first', 'last']).optional(),
  dispatcher: z
    .custom<object>(
      (v) =>
        typeof v === 'object' &&
        v !== null &&
        ['subscribe', 'cancel', 'ask', 'dispatch', 'info'].every(
          (m) => typeof (v as Record<string, unknown>)[m] === 'function',
        ),
      { error: 'expected a Dispatcher (subscribe, cancel, ask, dispatch, info)' },
    )
    .optional(),
};
const receiver = { subscribeTo: z.array(z.unknown()).optional() };

export const producerOptionsSchema = z
  .object({ ...base, ...emitter, demand: z.enum(['forward', 'accumulate']).optional() })
  .strict();
export const producerConsumerOptionsSchema = z
  .object({ ...base, ...emitter, ...receiver })
  .strict();
export const consumerOptionsSchema = z.object({ ...base, ...receiver }).strict();
