/**
 * Seed example 4: dice. One adder consumes from two producers at once, each
 * subscription with its own demand, and keeps a running total per producer.
 */
import { type Logger } from '@sluice/core';
import { consumer, producer, type Stage } from '@sluice/core/stage';

/** A producer of die rolls from `roll` (injected, so tests are deterministic). */
export function startDie(name: string, roll: () => number, logger?: Logger): Stage<never, number> {
  return producer<number>(
    { handleDemand: (demand) => Array.from({ length: demand }, roll) },
    { name, ...(logger !== undefined && { logger }) },
  );
}

export interface Adder {
  readonly stage: Stage<number, never>;
  /** Sum and count of the rolls received from each die, by producer name. */
  readonly totals: Map<string, { sum: number; count: number }>;
}

export function startAdder(
  dice: readonly Stage<never, number>[],
  maxDemand: number,
  logger?: Logger,
): Adder {
  const totals = new Map<string, { sum: number; count: number }>();
  const stage = consumer<number>(
    {
      handleEvents(rolls, subscription) {
        const key = subscription.producer.name;
        const t = totals.get(key) ?? { sum: 0, count: 0 };
        for (const r of rolls) t.sum += r;
        t.count += rolls.length;
        totals.set(key, t);
      },
    },
    {
      name: 'adder',
      ...(logger !== undefined && { logger }),
      subscribeTo: dice.map((die) => [die, { maxDemand }] as const),
    },
  );
  return { stage, totals };
}
