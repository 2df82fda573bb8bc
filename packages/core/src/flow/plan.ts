/**
 * What a Flow describes, before it runs: a source and a list of layers.
 * The builder (flow.ts) makes plans; materialize.ts starts their stages.
 */
import { SluiceError } from '../errors.ts';
import { parseOptions, zFunction } from '../options/parse.ts';
import { defaultHash } from '../stage/partition-dispatcher.ts';
import { nonNegativeInt, positiveInt } from '../options/blocks.ts';
import type { Stage } from '../stage/stage.ts';
import { z } from 'zod';
import type { ProducerSource } from './from-producer.ts';
import type { OpFactory } from './ops.ts';
import { Window, type TriggerInfo, type WindowSpec } from './window.ts';

/** What an `onTrigger` function returns: the events to emit, and optionally the next accumulator. */
export type TriggerResult<U, A> = Iterable<U> | { readonly events: Iterable<U>; readonly acc: A };

export interface Reducer {
  readonly init: () => unknown;
  /** Folds one event into `acc`; events to emit at once (emitAndReduce) go into `out`. */
  readonly step: (event: unknown, acc: unknown, out: unknown[]) => unknown;
  readonly emit: 'events' | 'state';
  /** Replaces `emit`: turns an emitted accumulator into events, and maybe a next accumulator. */
  readonly onTrigger:
    ((acc: unknown, info: TriggerInfo) => TriggerResult<unknown, unknown>) | undefined;
}

/** How a layer receives events from the layer before it. */
export type Routing =
  | { readonly kind: 'demand' }
  /** Stage i reads only stage i of the layer before (same stage count): after a reduce. */
  | { readonly kind: 'forward' }
  | { readonly kind: 'partition'; readonly hash: (event: unknown) => number };

export interface Layer {
  readonly stages: number;
  readonly routing: Routing;
  readonly maxDemand: number;
  readonly minDemand: number;
  readonly ops: OpFactory[];
  reducer: Reducer | undefined;
  window: WindowSpec;
}

export type Source =
  | {
      readonly kind: 'iterables';
      readonly iterables: readonly (Iterable<unknown> | AsyncIterable<unknown>)[];
    }
  | { readonly kind: 'stages'; readonly stages: readonly Stage<unknown, unknown>[] }
  | { readonly kind: 'flows'; readonly plans: readonly Plan[] }
  | { readonly kind: 'producer'; readonly source: ProducerSource };

export interface Plan {
  readonly source: Source;
  readonly layers: Layer[];
}

/** Options of a layer: {@link Flow.partition}, {@link Flow.shuffle}, {@link Flow.merge} and the sources. */
export interface LayerOptions {
  /** Stages in the layer. @defaultValue 2 for partition, shuffle and merge; 1 for a source */
  readonly stages?: number;
  /** @defaultValue 500 */
  readonly maxDemand?: number;
  /** @defaultValue `maxDemand / 2` */
  readonly minDemand?: number;
  /** How the layer's `reduce` splits events into windows. @defaultValue `Window.global()` */
  readonly window?: WindowSpec;
}

/** Options of {@link Flow.partition} (and {@link Flow.merge}). */
export interface PartitionOptions<T> extends LayerOptions {
  /** Events with the same key go to the same stage. @defaultValue the event itself */
  readonly key?: (event: T) => unknown;
  /** Or choose the stage yourself: an integer, taken modulo `stages`. */
  readonly hash?: (event: T) => number;
}

export const DEFAULT_MAX_DEMAND = 500;

const layerSchema = z
  .object({
    stages: positiveInt.optional(),
    key: zFunction().optional(),
    hash: zFunction().optional(),
    maxDemand: positiveInt.optional(),
    minDemand: nonNegativeInt.optional(),
    window: z
      .custom<WindowSpec>((v) => typeof v === 'object' && v !== null && 'kind' in v, {
        error: 'expected a Window',
      })
      .optional(),
    mode: z.enum(['partition', 'shuffle']).optional(),
  })
  .strict()
  .refine((o) => o.key === undefined || o.hash === undefined, {
    message: 'give key or hash, not both',
    path: ['hash'],
  })
  .refine((o) => o.minDemand === undefined || o.minDemand < (o.maxDemand ?? DEFAULT_MAX_DEMAND), {
    message: 'expected less than maxDemand',
    path: ['minDemand'],
  });

/** A new layer from checked options (`what` names the call in errors). */
export function newLayer(
  options: LayerOptions & { key?: unknown; hash?: unknown; mode?: unknown },
  what: string,
  routing: Routing,
  defaultStages: number,
): Layer {
  const o = parseOptions(layerSchema, options, `${what} options`);
  const max = o.maxDemand ?? DEFAULT_MAX_DEMAND;
  return {
    stages: o.stages ?? defaultStages,
    routing,
    maxDemand: max,
    minDemand: o.minDemand ?? Math.floor(max / 2),
    ops: [],
    reducer: undefined,
    window: o.window ?? Window.global(),
  };
}

/** A copy of `layers` that can be changed without changing the original. */
export function copyLayers(layers: readonly Layer[]): Layer[] {
  return layers.map((l) => ({ ...l, ops: [...l.ops] }));
}

/** A source's first layer: 1 stage unless `options` say otherwise. */
export function sourceLayer(options: LayerOptions, what: string): Layer {
  const layer = newLayer(options, what, { kind: 'demand' }, 1);
  return options.minDemand === undefined && options.maxDemand === undefined
    ? { ...layer, minDemand: DEFAULT_MAX_DEMAND / 2 }
    : layer;
}

/** A layer partitioned by `options.key` or `options.hash` over its stages. */
export function partitionLayer<T>(options: PartitionOptions<T>, what: string): Layer {
  const layer = newLayer(options, what, { kind: 'demand' }, 2);
  const stages = layer.stages;
  const { key, hash } = options;
  const route = (event: unknown): number => {
    const h =
      hash !== undefined
        ? hash(event as T)
        : defaultHash(key !== undefined ? key(event as T) : event);
    if (!Number.isInteger(h)) {
      throw new SluiceError(
        'ERR_BAD_RETURN',
        `${what}: hash must return an integer, got ${String(h)}`,
      );
    }
    return ((h % stages) + stages) % stages;
  };
  const routing: Routing = { kind: 'partition', hash: route };
  return { ...layer, routing };
}

/** The reducer of `emitAndReduce`: `fn` returns the events to emit now and the next accumulator. */
export function emittingReducer(
  init: () => unknown,
  fn: (
    event: unknown,
    acc: unknown,
  ) => { readonly events: Iterable<unknown>; readonly acc: unknown },
): Reducer {
  return {
    init,
    step(event, acc, out) {
      const r = fn(event, acc);
      for (const e of r.events) out.push(e);
      return r.acc;
    },
    emit: 'events',
    onTrigger: undefined,
  };
}
