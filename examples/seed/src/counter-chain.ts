/**
 * Seed example 1: counter A → multiplier B → slow printer C.
 *
 * A emits 0, 1, 2, ... as fast as it is asked. B multiplies by a factor.
 * C prints slowly. C's demand settings decide the rhythm of the whole
 * chain: with maxDemand 10 / minDemand 5, C asks 10, handles 5, asks 5 more,
 * and A only ever produces what C has room for.
 */
import { type Logger } from '@sluice/core';
import { consumer, producer, producerConsumer, type Stage } from '@sluice/core/stage';

export interface CounterChainOptions {
  readonly maxDemand: number;
  readonly minDemand: number;
  /** Multiplier applied by B. */
  readonly factor?: number;
  /** How long C takes per chunk (ms); 0 for no pause. */
  readonly delayMs?: number;
  /** Called by C with each chunk it handles. */
  readonly onChunk: (events: number[]) => void;
  /** Called by A with each demand it sees. */
  readonly onDemand?: (demand: number) => void;
  readonly logger?: Logger;
}

export interface CounterChain {
  readonly a: Stage<never, number>;
  readonly b: Stage<number, number>;
  readonly c: Stage<number, never>;
}

export function startCounterChain(options: CounterChainOptions): CounterChain {
  const factor = options.factor ?? 2;
  const delayMs = options.delayMs ?? 0;
  const logger = options.logger !== undefined ? { logger: options.logger } : {};
  let next = 0;
  const a = producer<number>(
    {
      handleDemand(demand) {
        options.onDemand?.(demand);
        return Array.from({ length: demand }, () => next++);
      },
    },
    { name: 'A', ...logger },
  );
  const b = producerConsumer<number, number>(
    { handleEvents: (events) => events.map((n) => n * factor) },
    { name: 'B', ...logger, subscribeTo: [a] },
  );
  const c = consumer<number>(
    {
      async handleEvents(events) {
        options.onChunk(events);
        if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      },
    },
    {
      name: 'C',
      ...logger,
      subscribeTo: [[b, { maxDemand: options.maxDemand, minDemand: options.minDemand }]],
    },
  );
  return { a, b, c };
}
