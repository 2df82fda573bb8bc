/**
 * Flow: parallel, partitioned computations over the stage core (Elixir's
 * Flow). A flow is a lazy description, a list of layers (plan.ts); running
 * it starts one stage per layer and partition (materialize.ts), connected
 * by the same demand and dispatchers as any pipeline, so it is
 * back-pressured end to end.
 *
 * This file is the builder (plan-edits.ts makes its changes to a plan;
 * layer-stage.ts is the stage that runs one layer). Per-stage operations (`map`, `flatMap`,
 * `filter`, `reject`, `each`, `mapBatch`) are fused into the stages of
 * their layer; `partition`, `shuffle` and `merge` start a new layer;
 * `reduce` and `emitAndReduce` fold each stage's events, window by window
 * (reducer.ts), into accumulators emitted as windows close.
 */
import { SluiceError } from '../errors.ts';
import type { ProducerModule } from '../pipeline/producer-module.ts';
import type { Stage } from '../stage/stage.ts';
import { toAsyncIterable } from '../stage/to-async-iterable.ts';
import { merging, tagging } from './departition.ts';
import type { FromProducerOptions, ProducerRun } from './from-producer.ts';
import { checkJoinMode, joinPairs, type JoinMode, type JoinOptions, type Tagged } from './join.ts';
import { closingAfter, materialize } from './materialize.ts';
import { takeSorted } from './take-sort.ts';
import { eachInOrder, flatMapOp, pushTo, uniqueBy, type Op } from './ops.ts';
import { lastLayer, withLayer, withOp, withReduce, withReducer, withWindow } from './plan-edits.ts';
import {
  DEFAULT_MAX_DEMAND,
  emittingReducer,
  newLayer,
  partitionLayer,
  type Layer,
  type LayerOptions,
  type PartitionOptions,
  type Plan,
  type Reducer,
  type TriggerResult,
} from './plan.ts';
import {
  iterablesPlan,
  mergePlan,
  producerPlan,
  stagesPlan,
  type MergeOptions,
} from './sources.ts';
import type { TriggerInfo, WindowSpec } from './window.ts';

/** A lazy, parallel computation over a stream of events. Build with `Flow.from…` or `Flow.merge`. */
export class Flow<T> {
  readonly #plan: Plan;

  private constructor(plan: Plan) {
    this.#plan = plan;
  }

  /**
   * A flow over one iterable (sync or async), read by one source stage.
   * `options` shape the first layer (default: 1 stage).
   */
  static fromIterable<T>(
    iterable: Iterable<T> | AsyncIterable<T>,
    options: LayerOptions = {},
  ): Flow<T> {
    return Flow.fromIterables([iterable], options);
  }

  /** A flow over several iterables, each read by its own source stage, in parallel. */
  static fromIterables<T>(
    iterables: readonly (Iterable<T> | AsyncIterable<T>)[],
    options: LayerOptions = {},
  ): Flow<T> {
    return new Flow<T>(iterablesPlan(iterables, options));
  }

  /** A flow over existing producer stages. */
  static fromStages<T>(
    stages: readonly (Stage<never, T> | Stage<unknown, T>)[],
    options: LayerOptions = {},
  ): Flow<T> {
    return new Flow<T>(stagesPlan(stages, options));
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
   * await Flow.fromProducer(sqsProducer({ queueUrl }), { signal: stop.signal })
   *   .each(async (body) => save(body))             // acked after save resolves
   *   .run();
   * ```
   */
  static fromProducer<T = unknown>(
    module: ProducerModule,
    options: FromProducerOptions<T> = {},
  ): Flow<T> {
    return new Flow<T>(producerPlan(module, options));
  }

  /**
   * Merges several flows into one new layer (Elixir's `Flow.merge/3`):
   * each flow's last stages send their events straight to it, partitioned
   * by `key` or `hash` (or, with `mode: 'shuffle'`, to whichever stage has
   * demand). There is no order between the flows.
   *
   * @example
   * ```ts
   * Flow.merge([clicks, views], { stages: 4, key: (e) => e.user })
   *   .reduce(() => 0, (_e, n) => n + 1);
   * ```
   */
  static merge<T>(flows: readonly Flow<T>[], options: MergeOptions<T> = {}): Flow<T> {
    return new Flow<T>(
      mergePlan(
        flows.map((f) => f.#plan),
        options,
      ),
    );
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
    checkJoinMode(mode);
    const tagged = Flow.merge<Tagged<L, R, K>>(
      [
        left.map((l) => ({ key: leftKey(l), left: l })),
        right.map((r) => ({ key: rightKey(r), right: r })),
      ],
      { ...(options.stages !== undefined && { stages: options.stages }), key: (t) => t.key },
    );
    return joinPairs(tagged, mode, join);
  }

  #with<U>(op: Op): Flow<U> {
    return new Flow<U>(withOp(this.#plan, () => op));
  }

  #then<U>(layer: Layer): Flow<U> {
    return new Flow<U>(withLayer(this.#plan, layer));
  }

  #withReducer<U>(what: string, change: (reducer: Reducer) => Reducer): Flow<U> {
    return new Flow<U>(withReducer(this.#plan, what, change));
  }

  /** Replaces each event with `fn(event)`. */
  map<U>(fn: (event: T) => U): Flow<U> {
    return this.#with<U>((events) => (events as T[]).map(fn));
  }

  /** Replaces each event with the events `fn` returns. */
  flatMap<U>(fn: (event: T) => Iterable<U>): Flow<U> {
    return this.#with<U>(flatMapOp(fn as (e: unknown) => Iterable<unknown>));
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
    return this.#then<T>(partitionLayer(options, 'Flow.partition'));
  }

  /** Spreads events over `stages` new stages, each taking what it has demand for (no grouping). */
  shuffle(options: LayerOptions = {}): Flow<T> {
    return this.#then<T>(newLayer(options, 'Flow.shuffle', { kind: 'demand' }, 2));
  }

  /** Sets how the current layer's `reduce` splits events into windows. */
  window(window: WindowSpec): Flow<T> {
    return new Flow<T>(withWindow(this.#plan, window));
  }

  /**
   * Replaces `emit`: when a window's accumulator is emitted (the window
   * ends, a trigger fires, or the input ends), `fn(acc, info)` returns the
   * events to send on, or `{ events, acc }` to also replace the
   * accumulator of a window that stays open (after an `every`,
   * `periodically` or `custom` trigger): `{ events: [acc], acc: 0 }` emits
   * each trigger's delta instead of a running total.
   */
  onTrigger<U, A = T>(fn: (acc: A, info: TriggerInfo) => TriggerResult<U, A>): Flow<U> {
    return this.#withReducer<U>('onTrigger', (r) => ({
      ...r,
      onTrigger: fn as Reducer['onTrigger'],
    }));
  }

  /**
   * Folds each stage's events into an accumulator, starting from `init()`;
   * when the stage's input ends (or a window closes), it emits the
   * accumulator: as events (if it is iterable, the default) or as one
   * event with `.emit('state')`.
   */
  reduce<A>(init: () => A, fold: (event: T, acc: A) => A): Flow<A> {
    return new Flow<A>(
      withReduce(this.#plan, {
        init,
        step: (event, acc) => fold(event as T, acc as A),
        emit: 'events',
        onTrigger: undefined,
      }),
    );
  }

  /**
   * Like `reduce`, but `fn(event, acc)` returns `{ events, acc }`: the
   * events are emitted at once, and `acc` is the next accumulator, emitted
   * as `reduce`'s is (use `onTrigger` to shape it).
   *
   * @example
   * ```ts
   * // each event with the running total so far, then the total
   * flow.emitAndReduce(() => 0, (n, sum) => ({ events: [[n, sum + n]], acc: sum + n }))
   * ```
   */
  emitAndReduce<A, U>(
    init: () => A,
    fn: (event: T, acc: A) => { readonly events: Iterable<U>; readonly acc: A },
  ): Flow<U> {
    return new Flow<U>(
      withReduce(this.#plan, emittingReducer(init, fn as (e: unknown, acc: unknown) => never)),
    );
  }

  /** Drops events whose `key` a stage has already seen (per stage: partition by the same key first). */
  uniqBy(key: (event: T) => unknown): Flow<T> {
    return new Flow<T>(withOp(this.#plan, uniqueBy(key as (e: unknown) => unknown)));
  }

  /**
   * Groups each stage's events by `key` into a Map of key → values
   * (`value(event)`, default the event), emitted as one state per stage.
   */
  groupBy<K, V = T>(key: (event: T) => K, value?: (event: T) => V): Flow<Map<K, V[]>> {
    const pick = value ?? ((e: T) => e as unknown as V);
    return this.reduce(
      () => new Map<K, V[]>(),
      (event, groups) => pushTo(groups, key(event), pick(event)),
    ).emit('state');
  }

  /**
   * Merges the partitions' outputs into one stage, window by window. After
   * a `reduce`, each partition sends what its `onTrigger` emits (without
   * one, its accumulator); `merge` folds it into the window's accumulator
   * from `init()`, and once every partition has closed that window,
   * `done(acc, window)` returns the events to emit. Windows still open
   * when the input ends are done then, oldest first.
   */
  departition<A, U>(
    init: () => A,
    merge: (event: T, acc: A) => A,
    done: (acc: A, window: number) => Iterable<U>,
  ): Flow<U> {
    const last = lastLayer(this.#plan);
    const single = newLayer({ stages: 1 }, 'Flow.departition', { kind: 'demand' }, 1);
    if (last.reducer === undefined) {
      return this.#then<T>(single)
        .reduce(init, merge)
        .emit('state')
        .flatMap((acc) => done(acc, 0));
    }
    const m = merging(last.stages, init, merge as (v: unknown, acc: A) => A, done);
    const tagged = this.#withReducer<never>('departition', tagging);
    return tagged.#then<never>(single).emitAndReduce(m.init, m.step).onTrigger(m.flush);
  }

  /**
   * The `n` smallest events by `compare` (ascending, like Array#sort),
   * across every partition, emitted in order.
   */
  takeSort(n: number, compare: (a: T, b: T) => number): Flow<T> {
    return takeSorted(this, n, compare);
  }

  /**
   * What a `reduce` emits when its input ends: its accumulator's items
   * (`'events'`, the default) or the accumulator itself (`'state'`).
   */
  emit(what: 'events' | 'state'): Flow<T> {
    if (what !== 'events' && what !== 'state') {
      throw new SluiceError(
        'ERR_INVALID_OPTIONS',
        `Flow.emit: expected 'events' or 'state', got ${String(what)}`,
      );
    }
    return this.#withReducer<T>('emit', (r) => ({ ...r, emit: what }));
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
    const last = materialize(this.#plan, runs);
    const events = toAsyncIterable(last as Stage<unknown, T>[], { maxDemand: DEFAULT_MAX_DEMAND });
    return runs.length === 0 ? events : closingAfter(events, runs);
  }

  /** Starts the flow and subscribes the given consumers to its last layer. */
  intoStages(consumers: readonly (Stage<T, unknown> | Stage<T, never>)[]): void {
    const last = materialize(this.#plan, []);
    for (const c of consumers) {
      for (const s of last) c.subscribe(s as Stage<unknown, T>, { cancel: 'transient' });
    }
  }
}
