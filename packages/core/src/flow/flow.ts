/**
 * Flow: parallel, partitioned computations over the stage core (Elixir's
 * Flow). A flow is a lazy description, a list of layers; running it starts
 * one stage per layer and partition, connected by the same demand and
 * dispatchers as any pipeline, so it is back-pressured end to end.
 *
 * ```ts
 * const counts = await Flow.fromIterable(lines)
 *   .flatMap((line) => line.split(/\s+/))
 *   .partition({ stages: 4 })                      // each word to the stage that owns it
 *   .reduce(() => new Map<string, number>(), (word, acc) => acc.set(word, (acc.get(word) ?? 0) + 1))
 *   .emit('state')
 *   .toArray();                                    // one Map per partition
 * ```
 *
 * Per-stage operations (`map`, `flatMap`, `filter`, `reject`, `each`,
 * `mapBatch`) are fused into the stages of their layer. `partition` and
 * `shuffle` start a new layer. `reduce` folds each stage's events into an
 * accumulator emitted when its input ends.
 *
 * Windows (window.ts) split a reduce into groups emitted as they end.
 * Bounded joins combine two finite flows on keys. A producer module can be
 * the source, with its messages acked by the first layer
 * (from-producer.ts).
 */
import { SluiceError, isNormalReason } from '../errors.ts';
import { parseOptions, zFunction } from '../internal/parse-options.ts';
import { nonNegativeInt, positiveInt } from '../internal/schemas.ts';
import { isThenable } from '../internal/thenable.ts';
import type { ProducerModule } from '../pipeline/producer-module.ts';
import { DemandDispatcher } from '../stage/demand-dispatcher.ts';
import type { Dispatcher } from '../stage/dispatcher.ts';
import { fromIterable } from '../stage/from-iterable.ts';
import { PartitionDispatcher, defaultHash } from '../stage/partition-dispatcher.ts';
import { producerConsumer, type Stage } from '../stage/stage.ts';
import { toAsyncIterable } from '../stage/to-async-iterable.ts';
import type { Subscription } from '../stage/types.ts';
import { z } from 'zod';
import {
  producerSource,
  startProducerSource,
  type FromProducerOptions,
  type ProducerRun,
  type ProducerSource,
} from './from-producer.ts';
import { eachInOrder, runOps, type Op, type OpFactory } from './ops.ts';
import { Window, WindowClock, type TriggerInfo, type WindowSpec } from './window.ts';

interface Reducer {
  readonly init: () => unknown;
  readonly fold: (event: unknown, acc: unknown) => unknown;
  emit: 'events' | 'state';
  /** Replaces `emit`: turns an emitted accumulator into events. */
  onTrigger: ((acc: unknown, info: TriggerInfo) => Iterable<unknown>) | undefined;
}

/** How a layer receives events from the layer before it. */
type Routing =
  | { readonly kind: 'demand' }
  | { readonly kind: 'partition'; readonly hash: (event: unknown) => number };

interface Layer {
  readonly stages: number;
  readonly routing: Routing;
  readonly maxDemand: number;
  readonly minDemand: number;
  readonly ops: OpFactory[];
  reducer: Reducer | undefined;
  window: WindowSpec;
}

type Source =
  | {
      readonly kind: 'iterables';
      readonly iterables: readonly (Iterable<unknown> | AsyncIterable<unknown>)[];
    }
  | { readonly kind: 'stages'; readonly stages: readonly Stage<unknown, unknown>[] }
  | { readonly kind: 'flows'; readonly flows: readonly Flow<unknown>[] }
  | { readonly kind: 'producer'; readonly source: ProducerSource };

/** Which unmatched events a bounded join keeps. */
export type JoinMode = 'inner' | 'left' | 'right' | 'full';

/** Options of {@link Flow.boundedJoin}. */
export interface JoinOptions {
  /** Stages the keys are partitioned over. @defaultValue 2 */
  readonly stages?: number;
}

/** A join input, tagged with its side and its key (computed once). */
type Tagged<L, R, K> = { readonly key: K } & ({ readonly left: L } | { readonly right: R });

/** Options of {@link Flow.partition} and {@link Flow.shuffle}. */
export interface PartitionOptions<T> {
  /** Stages in the new layer. @defaultValue 2 */
  readonly stages?: number;
  /** Events with the same key go to the same stage. @defaultValue the event itself */
  readonly key?: (event: T) => unknown;
  /** Or choose the stage yourself: an integer, taken modulo `stages`. */
  readonly hash?: (event: T) => number;
  /** @defaultValue 500 */
  readonly maxDemand?: number;
  /** @defaultValue `maxDemand / 2` */
  readonly minDemand?: number;
  /** How the new layer's `reduce` splits events into windows. @defaultValue `Window.global()` */
  readonly window?: WindowSpec;
}

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
  })
  .strict()
  .refine((o) => o.key === undefined || o.hash === undefined, {
    message: 'give key or hash, not both',
    path: ['hash'],
  })
  .refine((o) => o.minDemand === undefined || o.minDemand < (o.maxDemand ?? 500), {
    message: 'expected less than maxDemand',
    path: ['minDemand'],
  });

const DEFAULT_MAX_DEMAND = 500;
const DONE = Symbol('done');
const TICK = Symbol('tick');
const TRIGGER = Symbol('trigger');

/** A lazy, parallel computation over a stream of events. Build with `Flow.from…`. */
export class Flow<T> {
  readonly #source: Source;
  readonly #layers: Layer[];

  private constructor(source: Source, layers: Layer[]) {
    this.#source = source;
    this.#layers = layers;
  }

  /** A flow over one iterable (sync or async), read by one source stage. */
  static fromIterable<T>(iterable: Iterable<T> | AsyncIterable<T>): Flow<T> {
    return Flow.fromIterables([iterable]);
  }

  /** A flow over several iterables, each read by its own source stage, in parallel. */
  static fromIterables<T>(iterables: readonly (Iterable<T> | AsyncIterable<T>)[]): Flow<T> {
    if (iterables.length === 0) {
      throw new SluiceError(
        'ERR_INVALID_OPTIONS',
        'Flow.fromIterables: expected at least one iterable',
      );
    }
    return new Flow<T>({ kind: 'iterables', iterables }, [firstLayer()]);
  }

  /** A flow over existing producer stages. */
  static fromStages<T>(stages: readonly (Stage<never, T> | Stage<unknown, T>)[]): Flow<T> {
    if (stages.length === 0) {
      throw new SluiceError('ERR_INVALID_OPTIONS', 'Flow.fromStages: expected at least one stage');
    }
    return new Flow<T>({ kind: 'stages', stages: stages }, [firstLayer()]);
  }

  /**
   * A flow over a pipeline's producer module: its events are the messages'
   * `data` (or what `select` makes of each message). A message is acked
   * once the operations before the first `partition`, `shuffle` or
   * `reduce` have handled it: its events passed on, filtered out, or its
   * `each` awaited. If one of them throws, the messages of that chunk are
   * acked as failed with the error, so the producer's failure policy
   * applies, and the flow stops with it. The flow runs until
   * `options.signal` aborts; see docs/flow.md, "Producer sources".
   *
   * @example
   * ```ts
   * const stop = new AbortController();
   * process.once('SIGTERM', () => stop.abort());
   * await Flow.fromProducer(sqsProducer({ queueUrl }), { signal: stop.signal })
   *   .map((body) => JSON.parse(String(body)))
   *   .each(async (order) => save(order))           // acked after save resolves
   *   .run();
   * ```
   */
  static fromProducer<T = unknown>(
    module: ProducerModule,
    options: FromProducerOptions<T> = {},
  ): Flow<T> {
    const source = producerSource(module, options);
    const p = source.definition.processor;
    return new Flow<T>({ kind: 'producer', source }, [
      { ...firstLayer(), stages: p.concurrency, maxDemand: p.maxDemand, minDemand: p.minDemand },
    ]);
  }

  /**
   * Joins two bounded flows on keys: every pair of a left and a right event
   * with equal keys becomes `join(left, right)`. With `'left'`, `'right'` or
   * `'full'`, unmatched events are joined with `undefined` on the other
   * side. Keys are partitioned over `stages`; each stage emits its results
   * once both inputs have ended, so both must be finite.
   *
   * @example
   * ```ts
   * Flow.boundedJoin('left', orders, customers, (o) => o.customerId, (c) => c.id,
   *   (order, customer) => ({ ...order, name: customer?.name }));
   * ```
   */
  static boundedJoin<L, R, K, O>(
    mode: JoinMode,
    left: Flow<L>,
    right: Flow<R>,
    leftKey: (event: L) => K,
    rightKey: (event: R) => K,
    join: (left: L | undefined, right: R | undefined) => O,
    options: JoinOptions = {},
  ): Flow<O> {
    if (!['inner', 'left', 'right', 'full'].includes(mode)) {
      throw new SluiceError(
        'ERR_INVALID_OPTIONS',
        `Flow.boundedJoin: mode: expected one of 'inner', 'left', 'right', 'full', got ${String(mode)}`,
      );
    }
    const tagged = new Flow<Tagged<L, R, K>>(
      {
        kind: 'flows',
        flows: [
          left.map((l) => ({ key: leftKey(l), left: l })),
          right.map((r) => ({ key: rightKey(r), right: r })),
        ] as Flow<unknown>[],
      },
      [firstLayer()],
    );
    return tagged
      .partition({
        stages: options.stages ?? 2,
        key: (t) => t.key,
      })
      .reduce(
        () => ({ lefts: new Map<K, L[]>(), rights: new Map<K, R[]>() }),
        (t, acc) => {
          if ('left' in t) push(acc.lefts, t.key, t.left);
          else push(acc.rights, t.key, t.right);
          return acc;
        },
      )
      .onTrigger(({ lefts, rights }) => {
        const out: O[] = [];
        for (const [key, ls] of lefts) {
          const rs = rights.get(key);
          if (rs !== undefined) {
            for (const l of ls) for (const r of rs) out.push(join(l, r));
          } else if (mode === 'left' || mode === 'full') {
            for (const l of ls) out.push(join(l, undefined));
          }
        }
        if (mode === 'right' || mode === 'full') {
          for (const [key, rs] of rights) {
            if (!lefts.has(key)) for (const r of rs) out.push(join(undefined, r));
          }
        }
        return out;
      });
  }

  #with<U>(op: Op): Flow<U> {
    return this.#withFactory<U>(() => op);
  }

  #withFactory<U>(factory: OpFactory): Flow<U> {
    const layers = this.#layers.map((l) => ({ ...l, ops: [...l.ops] }));
    const last = layers[layers.length - 1] as Layer;
    if (last.reducer !== undefined) {
      // Operations after a reduce apply to what it emits: a new layer of the same shape.
      layers.push({ ...last, routing: { kind: 'demand' }, ops: [factory], reducer: undefined });
    } else {
      last.ops.push(factory);
    }
    return new Flow<U>(this.#source, layers);
  }

  /** Replaces each event with `fn(event)`. */
  map<U>(fn: (event: T) => U): Flow<U> {
    return this.#with<U>((events) => (events as T[]).map(fn));
  }

  /** Replaces each event with the events `fn` returns. */
  flatMap<U>(fn: (event: T) => Iterable<U>): Flow<U> {
    return this.#with<U>((events) => {
      const out: U[] = [];
      for (const e of events as T[]) for (const u of fn(e)) out.push(u);
      return out;
    });
  }

  /** Keeps the events for which `fn` is true. */
  filter(fn: (event: T) => boolean): Flow<T> {
    return this.#with<T>((events) => (events as T[]).filter(fn));
  }

  /** Drops the events for which `fn` is true. */
  reject(fn: (event: T) => boolean): Flow<T> {
    return this.#with<T>((events) => (events as T[]).filter((e) => !fn(e)));
  }

  /**
   * Calls `fn` on each event for its side effect; events pass on unchanged.
   * If `fn` returns a promise, the stage waits for it before the next event.
   */
  each(fn: (event: T) => unknown): Flow<T> {
    return this.#with<T>((events) => eachInOrder(events as T[], fn));
  }

  /** Replaces each batch of events a stage receives with `fn(batch)`, awaited if it is a promise. */
  mapBatch<U>(fn: (events: T[]) => U[] | PromiseLike<U[]>): Flow<U> {
    return this.#with<U>((events) => fn(events as T[]));
  }

  /**
   * Routes every event to one of `stages` new stages by its `key` (or
   * `hash`), so events with the same key are handled by the same stage, in
   * order. Use it before `reduce` to group.
   */
  partition(options: PartitionOptions<T> = {}): Flow<T> {
    const o = parseOptions(layerSchema, options, 'Flow.partition options');
    const stages = o.stages ?? 2;
    const key = options.key;
    const hash = options.hash;
    const route = (event: unknown): number => {
      const h =
        hash !== undefined
          ? hash(event as T)
          : defaultHash(key !== undefined ? key(event as T) : event);
      if (!Number.isInteger(h)) {
        throw new SluiceError(
          'ERR_BAD_RETURN',
          `Flow.partition: hash must return an integer, got ${String(h)}`,
        );
      }
      return ((h % stages) + stages) % stages;
    };
    return this.#layer(
      stages,
      { kind: 'partition', hash: route },
      o.maxDemand,
      o.minDemand,
      options.window,
    );
  }

  /** Spreads events over `stages` new stages, each taking what it has demand for (no grouping). */
  shuffle(
    options: Pick<PartitionOptions<T>, 'stages' | 'maxDemand' | 'minDemand' | 'window'> = {},
  ): Flow<T> {
    const o = parseOptions(layerSchema, options, 'Flow.shuffle options');
    return this.#layer(o.stages ?? 2, { kind: 'demand' }, o.maxDemand, o.minDemand, options.window);
  }

  #layer(
    stages: number,
    routing: Routing,
    maxDemand: number | undefined,
    minDemand: number | undefined,
    window: WindowSpec = Window.global(),
  ): Flow<T> {
    const max = maxDemand ?? DEFAULT_MAX_DEMAND;
    return new Flow<T>(this.#source, [
      ...this.#layers,
      {
        stages,
        routing,
        maxDemand: max,
        minDemand: minDemand ?? Math.floor(max / 2),
        ops: [],
        reducer: undefined,
        window,
      },
    ]);
  }

  /** Sets how the current layer's `reduce` splits events into windows. */
  window(window: WindowSpec): Flow<T> {
    const layers = this.#layers.map((l) => ({ ...l, ops: [...l.ops] }));
    (layers[layers.length - 1] as Layer).window = window;
    return new Flow<T>(this.#source, layers);
  }

  /**
   * Replaces `emit`: when a window's accumulator is emitted (the window
   * ends, a trigger fires, or the input ends), `fn(acc, info)` returns the
   * events to send on. `info` names the window and the trigger.
   */
  onTrigger<U>(fn: (acc: T, info: TriggerInfo) => Iterable<U>): Flow<U> {
    const last = this.#layers[this.#layers.length - 1] as Layer;
    if (last.reducer === undefined) {
      throw new SluiceError('ERR_INVALID_OPTIONS', 'Flow.onTrigger: call it after reduce');
    }
    const layers = this.#layers.map((l) => ({ ...l, ops: [...l.ops] }));
    (layers[layers.length - 1] as Layer).reducer = {
      ...last.reducer,
      onTrigger: fn as (acc: unknown, info: TriggerInfo) => Iterable<unknown>,
    };
    return new Flow<U>(this.#source, layers);
  }

  /**
   * Folds each stage's events into an accumulator, starting from `init()`;
   * when the stage's input ends, it emits the accumulator: as events (if
   * it is iterable, the default) or as one event with `.emit('state')`.
   */
  reduce<A>(init: () => A, fold: (event: T, acc: A) => A): Flow<A> {
    const layers = this.#layers.map((l) => ({ ...l, ops: [...l.ops] }));
    const last = layers[layers.length - 1] as Layer;
    if (last.reducer !== undefined) {
      layers.push({ ...last, routing: { kind: 'demand' }, ops: [], reducer: undefined });
    }
    (layers[layers.length - 1] as Layer).reducer = {
      init,
      fold: fold as (event: unknown, acc: unknown) => unknown,
      emit: 'events',
      onTrigger: undefined,
    };
    return new Flow<A>(this.#source, layers);
  }

  /** Drops events whose `key` a stage has already seen (per stage: partition by the same key first). */
  uniqBy(key: (event: T) => unknown): Flow<T> {
    return this.#withFactory<T>(() => {
      const seen = new Set<unknown>();
      return (events) =>
        (events as T[]).filter((e) => {
          const k = key(e);
          if (seen.has(k)) return false;
          seen.add(k);
          return true;
        });
    });
  }

  /**
   * Groups each stage's events by `key` into a Map of key → values
   * (`value(event)`, default the event), emitted as one state per stage.
   */
  groupBy<K, V = T>(key: (event: T) => K, value?: (event: T) => V): Flow<Map<K, V[]>> {
    const pick = value ?? ((e: T) => e as unknown as V);
    return this.reduce(
      () => new Map<K, V[]>(),
      (event, groups) => {
        const k = key(event);
        const list = groups.get(k);
        if (list === undefined) groups.set(k, [pick(event)]);
        else list.push(pick(event));
        return groups;
      },
    ).emit('state');
  }

  /**
   * Merges the outputs of every partition into one stage: `merge` folds
   * each incoming event into an accumulator started by `init()`, and
   * `done` turns it into the events to emit once every partition is done.
   */
  departition<A, U>(
    init: () => A,
    merge: (event: T, acc: A) => A,
    done: (acc: A) => Iterable<U>,
  ): Flow<U> {
    return this.#layer(1, { kind: 'demand' }, undefined, undefined)
      .reduce(init, merge)
      .emit('state')
      .flatMap((acc) => done(acc));
  }

  /**
   * The `n` smallest events by `compare` (ascending, like Array#sort),
   * across every partition, emitted in order.
   */
  takeSort(n: number, compare: (a: T, b: T) => number): Flow<T> {
    if (!Number.isInteger(n) || n < 0) {
      throw new SluiceError(
        'ERR_INVALID_OPTIONS',
        `Flow.takeSort: n: expected a non-negative integer, got ${String(n)}`,
      );
    }
    const keep = (list: T[], event: T): T[] => {
      // Insertion into a sorted list of at most n: n is small in practice.
      let i = list.length;
      while (i > 0 && compare(list[i - 1] as T, event) > 0) i--;
      if (i >= n) return list;
      list.splice(i, 0, event);
      if (list.length > n) list.pop();
      return list;
    };
    return this.reduce(
      () => [] as T[],
      (event, list) => keep(list, event),
    )
      .emit('state')
      .departition(
        () => [] as T[],
        (partial: T[], list) => partial.reduce(keep, list),
        (list) => list,
      );
  }

  /**
   * What a `reduce` emits when its input ends: its accumulator's items
   * (`'events'`, the default) or the accumulator itself (`'state'`).
   */
  emit(what: 'events' | 'state'): Flow<T> {
    const last = this.#layers[this.#layers.length - 1] as Layer;
    if (last.reducer === undefined) {
      throw new SluiceError('ERR_INVALID_OPTIONS', 'Flow.emit: call it after reduce');
    }
    if (what !== 'events' && what !== 'state') {
      throw new SluiceError(
        'ERR_INVALID_OPTIONS',
        `Flow.emit: expected 'events' or 'state', got ${String(what)}`,
      );
    }
    const layers = this.#layers.map((l) => ({ ...l, ops: [...l.ops] }));
    (layers[layers.length - 1] as Layer).reducer = { ...last.reducer, emit: what };
    return new Flow<T>(this.#source, layers);
  }

  /**
   * Starts the flow's stages; returns the stages of the last layer. Producer
   * sources started on the way are added to `runs`, to be closed at the end.
   */
  #materialize(runs: ProducerRun[]): Stage<unknown, unknown>[] {
    const layers = this.#layers;
    const dispatcherFor = (next: Layer | undefined): (() => Dispatcher<unknown, Subscription>) =>
      next === undefined || next.routing.kind === 'demand'
        ? () => new DemandDispatcher()
        : () =>
            new PartitionDispatcher({
              partitions: next.stages,
              hash: (next.routing as { hash: (e: unknown) => number }).hash,
            });
    const first = layers[0] as Layer;
    const source = this.#source;
    let previous: Stage<unknown, unknown>[];
    let run: ProducerRun | undefined;
    if (source.kind === 'stages') previous = [...source.stages];
    else if (source.kind === 'flows') previous = source.flows.flatMap((f) => f.#materialize(runs));
    else if (source.kind === 'producer') {
      run = startProducerSource(source.source);
      runs.push(run);
      previous = [...run.producers] as Stage<unknown, unknown>[];
    } else {
      previous = source.iterables.map(
        (it) =>
          fromIterable(it, { dispatcher: dispatcherFor(first)(), onCancel: 'stop' }) as Stage<
            unknown,
            unknown
          >,
      );
    }
    const started: Stage<unknown, unknown>[] = [];
    let sourceLayer: Stage<unknown, unknown>[] = [];
    layers.forEach((layer, index) => {
      const makeDispatcher = dispatcherFor(layers[index + 1]);
      const upstream = previous;
      const partitioned = layer.routing.kind === 'partition';
      // A producer source's first layer acks the messages its operations handled.
      const ops = run !== undefined && index === 0 ? [run.acking(layer.ops)] : layer.ops;
      previous = Array.from({ length: layer.stages }, (_, i) =>
        flowStage({ ...layer, ops }, makeDispatcher(), upstream, partitioned ? i : undefined),
      );
      if (index === 0) sourceLayer = previous;
      started.push(...previous);
    });
    run?.watch(sourceLayer, started);
    return previous;
  }

  /** Runs the flow for its side effects; resolves when every stage has finished. */
  async run(): Promise<void> {
    for await (const _ of this.toAsyncIterable()) void _;
  }

  /** Runs the flow and collects what its last layer emits (order across stages is not defined). */
  async toArray(): Promise<T[]> {
    const out: T[] = [];
    for await (const e of this.toAsyncIterable()) out.push(e);
    return out;
  }

  /**
   * Runs the flow and reads its output with `for await`, with back-pressure.
   * Errors stop it with their cause. With a producer source, the loop ends
   * only after the producers are closed; leaving it early stops the flow.
   */
  toAsyncIterable(): AsyncIterable<T> {
    const runs: ProducerRun[] = [];
    const last = this.#materialize(runs);
    const events = toAsyncIterable(last as Stage<unknown, T>[], { maxDemand: DEFAULT_MAX_DEMAND });
    return runs.length === 0 ? events : closingAfter(events, runs);
  }

  /** Starts the flow and subscribes the given consumers to its last layer. */
  intoStages(consumers: readonly (Stage<T, unknown> | Stage<T, never>)[]): void {
    const last = this.#materialize([]);
    for (const c of consumers) {
      for (const s of last) c.subscribe(s as Stage<unknown, T>, { cancel: 'transient' });
    }
  }
}

/** Reads `events`, then, however the loop ends, closes the producer sources. */
async function* closingAfter<T>(
  events: AsyncIterable<T>,
  runs: readonly ProducerRun[],
): AsyncGenerator<T> {
  try {
    yield* events;
  } finally {
    await Promise.all(runs.map((r) => r.close()));
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

function firstLayer(): Layer {
  return {
    stages: 1,
    routing: { kind: 'demand' },
    maxDemand: DEFAULT_MAX_DEMAND,
    minDemand: DEFAULT_MAX_DEMAND / 2,
    ops: [],
    reducer: undefined,
    window: Window.global(),
  };
}

/**
 * One stage of a layer: applies the layer's fused operations, folds into
 * the reducer if any, and, once every upstream stage has finished, emits
 * the accumulator and stops. An upstream failure stops it with the cause.
 */
function flowStage(
  layer: Layer,
  dispatcher: Dispatcher<unknown, Subscription>,
  upstream: readonly Stage<unknown, unknown>[],
  partition: number | undefined,
): Stage<unknown, unknown> {
  /** Upstream stages still running, and consumers still subscribed. */
  let open = upstream.length;
  let consumers = 0;
  const reducer = layer.reducer;
  const ops = layer.ops.map((make) => make());
  const clock = new WindowClock(layer.window);
  /** Open windows' accumulators, and how many events each has had. */
  const accs = new Map<number, unknown>();
  const counts = new Map<number, number>();
  let timer: NodeJS.Timeout | undefined;
  let trigger: NodeJS.Timeout | undefined;

  const emitted = (acc: unknown, info: TriggerInfo): unknown[] => {
    const r = reducer as Reducer;
    if (r.onTrigger !== undefined) return [...r.onTrigger(acc, info)];
    if (r.emit === 'state') return [acc];
    if (acc === null || typeof (acc as Iterable<unknown>)[Symbol.iterator] !== 'function') {
      throw new SluiceError(
        'ERR_BAD_RETURN',
        "Flow.reduce: the accumulator is not iterable, so it cannot be emitted as events; use .emit('state')",
      );
    }
    return [...(acc as Iterable<unknown>)];
  };
  const close = (window: number, trigger: TriggerInfo['trigger'], out: unknown[]): void => {
    if (!accs.has(window)) return;
    out.push(...emitted(accs.get(window), { window, trigger }));
    accs.delete(window);
    counts.delete(window);
  };

  const apply = (events: unknown[]): unknown[] | Promise<unknown[]> => {
    const out = runOps(ops, events);
    return isThenable(out) ? out.then(fold) : fold(out);
  };
  const fold = (out: unknown[]): unknown[] => {
    if (reducer === undefined) return out;
    const result: unknown[] = [];
    const every = layer.window.every;
    const when = layer.window.when;
    for (const e of out) {
      const window = clock.assign(e);
      if (window === undefined) continue; // late: its window was already emitted
      const acc = reducer.fold(e, accs.has(window) ? accs.get(window) : reducer.init());
      accs.set(window, acc);
      if (every > 0) {
        const n = (counts.get(window) ?? 0) + 1;
        counts.set(window, n);
        if (n % every === 0) result.push(...emitted(acc, { window, trigger: 'every' }));
      }
      if (when?.(acc, e) === true) result.push(...emitted(acc, { window, trigger: 'custom' }));
      for (const done of clock.complete(accs.keys())) close(done.window, done.trigger, result);
    }
    return result;
  };

  return producerConsumer<unknown, unknown>(
    {
      init(stage) {
        if (reducer !== undefined && layer.window.kind === 'periodic') {
          timer = setInterval(() => stage.send(TICK), layer.window.size);
        }
        if (reducer !== undefined && layer.window.interval > 0) {
          trigger = setInterval(() => stage.send(TRIGGER), layer.window.interval);
        }
      },
      handleEvents: (events) => apply(events),
      handleSubscribe(as) {
        if (as === 'consumer') consumers++;
      },
      handleCancel(cancellation, sub, stage) {
        if (sub.producer === stage) {
          // A consumer left. Without consumers the stage has no purpose:
          // stopping cancels its upstream in turn, down to the source,
          // which closes its iterable (a `break` out of toAsyncIterable).
          if (--consumers === 0) void stage.stop('normal');
          return undefined;
        }
        // A failed upstream: the transient subscription stops this stage with the cause.
        if (!isNormalReason(cancellation.reason)) return undefined;
        open--;
        if (open > 0) return undefined;
        stage.infoAfterBuffered(DONE);
        if (reducer === undefined) return undefined;
        clearInterval(timer);
        clearInterval(trigger);
        const out: unknown[] = [];
        // Global, or the input ended first: emit what is open, oldest first.
        if (accs.size === 0 && layer.window.kind === 'global') accs.set(0, reducer.init());
        for (const window of [...accs.keys()].sort((x, y) => x - y)) close(window, 'done', out);
        return out;
      },
      handleInfo(message, stage) {
        if (message === DONE) {
          void stage.stop('normal');
          return undefined;
        }
        if (reducer === undefined) return undefined;
        const out: unknown[] = [];
        if (message === TICK) close(clock.tick(), 'periodic', out);
        if (message === TRIGGER) {
          for (const window of [...accs.keys()].sort((x, y) => x - y)) {
            out.push(...emitted(accs.get(window), { window, trigger: 'periodically' }));
          }
        }
        return out;
      },
      terminate() {
        clearInterval(timer);
        clearInterval(trigger);
      },
    },
    {
      dispatcher,
      subscribeTo: upstream.map(
        (s) =>
          [
            s,
            {
              maxDemand: layer.maxDemand,
              minDemand: layer.minDemand,
              // An upstream failure stops this stage with the cause; a normal
              // end is counted in handleCancel.
              cancel: 'transient',
              ...(partition !== undefined && { partition }),
            },
          ] as const,
      ),
    },
  );
}
