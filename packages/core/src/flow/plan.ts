/**
 * What a Flow describes, before it runs: a source and a list of layers.
 * The builder (flow.ts) makes plans; materialize.ts starts their stages.
 */
import { SluiceError } from '../errors.ts';
import { parseOptions, zFunction } from '../options/parse.ts';
import { defaultHash } from '../stage/partition-dispatcher.ts';
import { optionBlocks } from '../options/blocks.ts';
import { lazily, zod } from '../options/zod.ts';
import type { Stage } from '../stage/stage.ts';
import type { z } from 'zod';
import type { Agrees, Assert } from '../internal/agrees.ts';
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

/** Events each stage asks of the layer before it, unless a layer says otherwise. */
export const DEFAULT_MAX_DEMAND = 500;

/** The one schema of every layer's options: sources, `partition`, `shuffle`, `merge`. */
export const layerSchema = lazily(() => {
  const z = zod();
  const { nonNegativeInt, positiveInt } = optionBlocks();
  return z
    .object({
      stages: positiveInt.optional().meta({
        description:
          'Stages in the layer: 2 for `partition`, `shuffle`, `merge` and `boundedJoin`, 1 for a source, when unset.',
      }),
      maxDemand: positiveInt.default(DEFAULT_MAX_DEMAND).meta({
        description: 'The most events each stage has outstanding from each stage before it.',
      }),
      minDemand: nonNegativeInt.optional().meta({
        description:
          'A stage asks for more when what it is owed falls to this; less than `maxDemand`, half of it when unset.',
      }),
      window: z
        .custom<WindowSpec>((v) => typeof v === 'object' && v !== null && 'kind' in v, {
          error: 'expected a Window',
        })
        .optional()
        .meta({
          description:
            "How the layer's `reduce` splits events into windows; one global window when unset.",
        }),
      key: zFunction<(event: unknown) => unknown>().optional().meta({
        description:
          'Events with the same key go to the same stage, in order; the event itself is the key when neither `key` nor `hash` is set.',
      }),
      hash: zFunction<(event: unknown) => number>().optional().meta({
        description: 'Or choose the stage yourself: an integer, taken modulo `stages`.',
      }),
      mode: z.enum(['partition', 'shuffle']).optional().meta({
        description:
          '`Flow.merge` only: `partition` (when unset) routes by `key` or `hash`; `shuffle` sends each event to whichever stage has demand.',
      }),
    })
    .strict()
    .refine((o) => o.key === undefined || o.hash === undefined, {
      message: 'give key or hash, not both',
      path: ['hash'],
    })
    .refine((o) => o.minDemand === undefined || o.minDemand < o.maxDemand, {
      message: 'expected less than maxDemand',
      path: ['minDemand'],
    })
    .transform((o) => ({
      ...o,
      minDemand: o.minDemand ?? Math.floor(o.maxDemand / 2),
      window: o.window ?? Window.global(),
    }));
});

type LayerInput = z.input<ReturnType<typeof layerSchema>>;

/** Options of a layer: {@link Flow.shuffle} and the sources (described in `layerSchema`). */
export type LayerOptions = Pick<LayerInput, 'stages' | 'maxDemand' | 'minDemand' | 'window'>;

/** Options of {@link Flow.partition} (and {@link Flow.merge}). */
export interface PartitionOptions<T> extends LayerOptions {
  /** Events with the same key go to the same stage. */
  readonly key?: ((event: T) => unknown) | undefined;
  /** Or choose the stage yourself: an integer, taken modulo `stages`. */
  readonly hash?: ((event: T) => number) | undefined;
}

type _Agrees = Assert<Agrees<PartitionOptions<unknown>, Omit<LayerInput, 'mode'>>>;

/** A new layer from checked options (`what` names the call in errors). */
export function newLayer(
  options: LayerOptions & { key?: unknown; hash?: unknown; mode?: unknown },
  what: string,
  routing: Routing,
  defaultStages: number,
): Layer {
  const o = parseOptions(layerSchema(), options, `${what} options`);
  return {
    stages: o.stages ?? defaultStages,
    routing,
    maxDemand: o.maxDemand,
    minDemand: o.minDemand,
    ops: [],
    reducer: undefined,
    window: o.window,
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
