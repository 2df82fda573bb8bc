/**
 * The stage runtime: GenStage's process, as an object with a mailbox.
 *
 * Stages exchange envelopes (subscribe, ask, events, cancel, info, call)
 * through their mailboxes and never touch each other's state, so every
 * callback runs alone, like a process handling one message at a time. A
 * callback that returns a promise suspends its stage until it settles: the
 * mailbox waits, and so does the demand that would follow it. That is how a
 * slow async consumer slows its producer down.
 *
 * Control flow is continuation-passing: each step returns `true` when it
 * suspended on a promise (the continuation is stored in `#resume` and run
 * when the promise settles) and `false` when it finished synchronously. The
 * synchronous path allocates no promise at all.
 *
 * Invariants:
 * - `#state` is RUNNING only inside `#run`; a stage is on the scheduler's
 *   ready queue iff it is QUEUED.
 * - An emitter never sends a consumer more events than the consumer asked
 *   for: every delivery goes through its dispatcher.
 * - Envelopes between two stages are delivered in send order.
 */
import type { z } from 'zod';
import { SluiceError, isNormalReason } from '../errors.ts';
import { Fifo } from '../internal/fifo.ts';
import { parseOptions, show } from '../internal/parse-options.ts';
import { isThenable } from '../internal/thenable.ts';
import { defaultLogger, type Logger } from '../logger.ts';
import { publishDiscarded } from './telemetry.ts';
import { EventBuffer } from './buffer.ts';
import { AutomaticDemand } from './demand.ts';
import { DemandDispatcher } from './demand-dispatcher.ts';
import type { DispatchTarget, Dispatcher } from './dispatcher.ts';
import {
  consumerOptionsSchema,
  producerConsumerOptionsSchema,
  producerOptionsSchema,
  resolveSubscriptionOptions,
} from './options.ts';
import { schedule, type Runnable } from './scheduler.ts';
import type {
  CallRef,
  CallResult,
  Cancellation,
  CommonCallbacks,
  ConsumerCallbacks,
  ConsumerOptions,
  DemandMode,
  ProducerCallbacks,
  ProducerConsumerCallbacks,
  ProducerConsumerOptions,
  ProducerOptions,
  ResolvedSubscriptionOptions,
  StageKind,
  SubscribeTarget,
  Subscription,
  SubscriptionOptions,
} from './types.ts';

const IDLE = 0;
const QUEUED = 1;
const RUNNING = 2;
const SUSPENDED = 3;
const STOPPING = 4;
const STOPPED = 5;

type Envelope =
  | { readonly t: 'init' }
  | { readonly t: 'subscribe-self'; readonly sub: Sub }
  | { readonly t: 'subscribe'; readonly sub: Sub }
  | { readonly t: 'ask'; readonly sub: Sub; readonly n: number }
  | { readonly t: 'events'; readonly sub: Sub; readonly events: unknown[] }
  | { readonly t: 'cancel-upstream'; readonly sub: Sub; readonly reason: unknown }
  | { readonly t: 'cancel-downstream'; readonly sub: Sub; readonly cancellation: Cancellation }
  | { readonly t: 'consumer-down'; readonly sub: Sub; readonly reason: unknown }
  | { readonly t: 'info'; readonly message: unknown }
  | { readonly t: 'info-after-buffered'; readonly message: unknown }
  | { readonly t: 'call'; readonly request: unknown; readonly from: PendingCall }
  | { readonly t: 'demand-mode'; readonly mode: DemandMode };

/** An item of a producer-consumer's inbound queue, handled only while downstream has demand. */
type PcItem =
  | { readonly t: 'events'; readonly sub: Sub; readonly events: unknown[] }
  | { readonly t: 'info'; readonly message: unknown }
  | { readonly t: 'cancel'; readonly sub: Sub; readonly cancellation: Cancellation };

/** Accumulated asks, demand and emissions, replayed in order when switching to `forward`. */
type Accumulated =
  | { readonly ask: Sub; readonly n: number }
  | { readonly demand: number }
  | { readonly events: readonly unknown[] };

/** An internal info: stop with `reason` once the buffer in front of it has been sent. */
class StopWhenFlushed {
  readonly reason: unknown;
  constructor(reason: unknown) {
    this.reason = reason;
  }
}

interface PendingCall extends CallRef {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/** A subscription as the consumer side tracks it. */
interface UpstreamLink {
  readonly sub: Sub;
  /** The automatic demand rule, or null for a manual subscription. */
  demand: AutomaticDemand | null;
  /** Demand announced on a manual subscription and not yet received. */
  manualPending: number;
}

class Sub implements Subscription {
  readonly id: number;
  readonly producer: Stage<unknown, unknown>;
  readonly consumer: Stage<unknown, unknown>;
  readonly options: ResolvedSubscriptionOptions;
  constructor(
    id: number,
    producer: Stage<unknown, unknown>,
    consumer: Stage<unknown, unknown>,
    options: ResolvedSubscriptionOptions,
  ) {
    this.id = id;
    this.producer = producer;
    this.consumer = consumer;
    this.options = options;
  }
}

type AnyCallbacks = CommonCallbacks<unknown, unknown> & {
  handleDemand?: (demand: number, stage: Stage<unknown, unknown>) => unknown;
  handleEvents?: (
    events: unknown[],
    subscription: Subscription,
    stage: Stage<unknown, unknown>,
  ) => unknown;
};

interface InternalOptions {
  readonly name?: string | undefined;
  readonly logger?: Logger | undefined;
  readonly bufferSize?: number | undefined;
  readonly bufferKeep?: 'first' | 'last' | undefined;
  readonly dispatcher?: Dispatcher<unknown, Subscription> | undefined;
  readonly demand?: DemandMode | undefined;
  readonly subscribeTo?: readonly SubscribeTarget<unknown>[] | undefined;
}

let nextStageId = 0;
let nextSubscriptionId = 0;
let nextCallId = 0;
const loggedErrors = new WeakSet<object>();

/**
 * A running stage. Returned by {@link producer}, {@link producerConsumer} and
 * {@link consumer}, and passed as the last argument of every callback.
 *
 * `In` is the type of events it receives, `Out` of events it emits.
 */
export class Stage<In = unknown, Out = unknown> {
  /** The stage's name, for logs and telemetry. */
  readonly name: string;
  /** Producer, producer-consumer or consumer. */
  readonly kind: StageKind;
  /** The stage's logger (a child of the one given, bound to the stage name). */
  readonly logger: Logger;
  /**
   * Type-level marker of the events this stage emits; never set at run time.
   * It makes `Stage<never, number>` and `Stage<never, string>` distinct types.
   */
  declare readonly emits?: Out;

  readonly #callbacks: AnyCallbacks;
  readonly #mailbox = new Fifo<Envelope>();
  readonly #runner: Runnable = { run: (budget) => this.#run(budget) };
  #state = IDLE;
  #resume: (() => boolean) | null = null;
  #stopRequested = false;
  #stopReason: unknown = undefined;
  #exitReason: unknown = undefined;
  #joiners: { resolve: () => void; reject: (e: unknown) => void }[] = [];

  // Emitter side (producer, producer-consumer).
  readonly #dispatcher: Dispatcher<unknown, Subscription> | null;
  readonly #buffer: EventBuffer<unknown> | null;
  readonly #consumers = new Set<Sub>();
  readonly #target: DispatchTarget<unknown, Subscription>;
  #demandMode: DemandMode;
  readonly #accumulated = new Fifo<Accumulated>();

  // Receiver side (consumer, producer-consumer).
  readonly #producers = new Map<Sub, UpstreamLink>();
  readonly #subscribeTo: readonly SubscribeTarget<unknown>[];

  // Producer-consumer: inbound items wait here until downstream has demand.
  readonly #pcQueue = new Fifo<PcItem>();
  #pcDemand = 0;

  readonly #calls = new Set<PendingCall>();

  /** @internal Use {@link producer}, {@link producerConsumer} or {@link consumer}. */
  constructor(kind: StageKind, callbacks: AnyCallbacks, options: InternalOptions) {
    this.kind = kind;
    this.name = options.name ?? `${kind}-${nextStageId++}`;
    this.logger = (options.logger ?? defaultLogger()).child({ stage: this.name });
    this.#callbacks = callbacks;
    this.#demandMode = options.demand ?? 'forward';
    this.#subscribeTo = options.subscribeTo ?? [];
    if (kind === 'consumer') {
      this.#dispatcher = null;
      this.#buffer = null;
    } else {
      this.#dispatcher = options.dispatcher ?? new DemandDispatcher();
      const size = options.bufferSize ?? (kind === 'producer' ? 10_000 : Infinity);
      this.#buffer = new EventBuffer(size, options.bufferKeep ?? 'last');
    }
    this.#target = {
      deliver: (sub, events) => sub.consumer.#post({ t: 'events', sub: sub, events }),
      reask: (sub, n) => this.#post({ t: 'ask', sub: sub, n }),
      info: (message) => this.#post({ t: 'info', message }),
      discard: (count, reason) => this.#reportDiscarded(count, reason),
      warn: (message) => this.logger.warn({}, message),
    };
    this.#post({ t: 'init' });
  }

  // ---------------------------------------------------------------- public API

  /** True once the stage has stopped. */
  get stopped(): boolean {
    return this.#state === STOPPED;
  }

  /** Why the stage stopped (`undefined` while it runs). */
  get exitReason(): unknown {
    return this.#exitReason;
  }

  /** The current demand mode of a producer. */
  get demandMode(): DemandMode {
    return this.#demandMode;
  }

  /**
   * Subscribes this consumer (or producer-consumer) to `producer`. Returns at
   * once; the subscription is made in order with the stage's other work.
   * Throws at once on invalid options or an unknown partition.
   */
  subscribe<T extends In>(
    producer: Stage<unknown, T>,
    options?: SubscriptionOptions<T>,
  ): Subscription {
    if (this.kind === 'producer') {
      throw new SluiceError(
        'ERR_STAGE_KIND',
        `stage ${this.name} is a producer and cannot subscribe to other stages`,
      );
    }
    if (!(producer instanceof Stage)) {
      throw new SluiceError(
        'ERR_STAGE_KIND',
        `subscribe: expected a Stage to subscribe to, got ${show(producer)}`,
      );
    }
    if (producer.kind === 'consumer') {
      throw new SluiceError(
        'ERR_STAGE_KIND',
        `stage ${producer.name} is a consumer and has nothing to subscribe to`,
      );
    }
    const resolved = resolveSubscriptionOptions(options);
    producer.#validateSubscription(resolved as ResolvedSubscriptionOptions);
    const sub = new Sub(
      nextSubscriptionId++,
      producer as Stage<unknown, unknown>,
      this as Stage<unknown, unknown>,
      resolved as ResolvedSubscriptionOptions,
    );
    this.#post({ t: 'subscribe-self', sub });
    return sub;
  }

  /** Asks `subscription`'s producer for `count` more events. For manual subscriptions. */
  ask(subscription: Subscription, count: number): void {
    if (!Number.isInteger(count) || count < 0) {
      throw new SluiceError(
        'ERR_INVALID_OPTIONS',
        `ask: count: expected a non-negative integer, got ${show(count)}`,
      );
    }
    if (count === 0) return;
    const link = this.#producers.get(subscription);
    if (link === undefined) return;
    if (link.demand === null) link.manualPending += count;
    link.sub.producer.#post({ t: 'ask', sub: link.sub, n: count });
  }

  /**
   * Cancels a subscription. Events already sent on it are still handled;
   * then both sides run `handleCancel`, and this consumer reacts by the
   * subscription's cancel mode.
   */
  cancel(subscription: Subscription, reason: unknown = 'normal'): void {
    const sub = subscription;
    if (sub.consumer === (this as Stage<unknown, unknown>)) {
      sub.producer.#post({ t: 'cancel-upstream', sub, reason });
    } else if (sub.producer === (this as Stage<unknown, unknown>)) {
      this.#post({ t: 'cancel-upstream', sub, reason });
    }
  }

  /** Sends `message` to the stage's `handleInfo`, in mailbox order. */
  send(message: unknown): void {
    this.#post({ t: 'info', message });
  }

  /**
   * Like {@link send}, but on an emitter the message reaches `handleInfo` only
   * after every event buffered before it has been dispatched (GenStage's
   * `async_info`). The idiom for a finite producer to stop cleanly.
   */
  infoAfterBuffered(message: unknown): void {
    this.#post({ t: 'info-after-buffered', message });
  }

  /**
   * Calls `handleCall(request)` and resolves with its reply, sent either in
   * the result or later through {@link reply}. Rejects if the stage stops first.
   */
  call<R = unknown>(request: unknown): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const from: PendingCall = {
        id: nextCallId++,
        resolve: resolve as (v: unknown) => void,
        reject,
      };
      this.#post({ t: 'call', request, from });
    });
  }

  /** Replies to a call whose `handleCall` left the reply out. */
  reply(from: CallRef, value: unknown): void {
    const call = from as PendingCall;
    if (this.#calls.delete(call)) call.resolve(value);
  }

  /** Switches a producer between `forward` and `accumulate` demand. */
  setDemandMode(mode: DemandMode): void {
    if (mode !== 'forward' && mode !== 'accumulate') {
      throw new SluiceError(
        'ERR_INVALID_OPTIONS',
        `setDemandMode: expected 'forward' or 'accumulate', got ${show(mode)}`,
      );
    }
    this.#post({ t: 'demand-mode', mode });
  }

  /** Events waiting in this emitter's buffer (0 for consumers). */
  estimateBufferedCount(): number {
    return this.#buffer?.count ?? 0;
  }

  /**
   * Stops the stage once its current callback settles, running `terminate`.
   * Resolves when it has stopped. Subscribers react by their cancel mode.
   */
  stop(reason: unknown = 'normal'): Promise<void> {
    if (this.#state !== STOPPED && !this.#stopRequested) {
      this.#stopRequested = true;
      this.#stopReason = reason;
      this.#wake();
    }
    return this.join().catch(() => undefined);
  }

  /**
   * Stops the stage now, even in the middle of a callback that never
   * settles (GenStage's brutal kill). `terminate` still runs; whatever the
   * interrupted callback does afterwards is ignored.
   */
  kill(reason: unknown = 'killed'): Promise<void> {
    if (this.#state !== STOPPED && this.#state !== STOPPING) this.#terminate(reason);
    return this.join().catch(() => undefined);
  }

  /** Resolves when the stage stops normally; rejects with the reason otherwise. */
  join(): Promise<void> {
    if (this.#state === STOPPED) {
      return isNormalReason(this.#exitReason)
        ? Promise.resolve()
        : Promise.reject(toError(this.#exitReason));
    }
    return new Promise((resolve, reject) => this.#joiners.push({ resolve, reject }));
  }

  // ---------------------------------------------------------------- mailbox

  #post(envelope: Envelope): void {
    if (this.#state === STOPPED || this.#state === STOPPING) {
      this.#deadLetter(envelope);
      return;
    }
    this.#mailbox.push(envelope);
    this.#wake();
  }

  #wake(): void {
    if (this.#state === IDLE) {
      this.#state = QUEUED;
      schedule(this.#runner);
    }
  }

  #run(budget: number): void {
    if (this.#state !== QUEUED) return;
    this.#state = RUNNING;
    for (let i = 0; i < budget; i++) {
      let suspended: boolean;
      const resume = this.#resume;
      if (resume !== null) {
        this.#resume = null;
        suspended = this.#exec(resume);
      } else if (this.#stopRequested) {
        this.#terminate(this.#stopReason);
        return;
      } else {
        const envelope = this.#mailbox.shift();
        if (envelope === undefined) {
          this.#state = IDLE;
          return;
        }
        suspended = this.#exec(() => this.#handle(envelope));
      }
      if (suspended || this.#state !== RUNNING) return;
    }
    this.#state = QUEUED;
    schedule(this.#runner);
  }

  /** Runs a step, turning a throw into a crash of the stage. */
  #exec(step: () => boolean): boolean {
    try {
      return step();
    } catch (error) {
      this.#crash(error);
      return false;
    }
  }

  /** Continues with `then(value)` once `promise` settles; the stage waits meanwhile. */
  #await<T>(promise: PromiseLike<T>, then: (value: T) => boolean): true {
    this.#state = SUSPENDED;
    promise.then(
      (value) => this.#continueWith(() => then(value)),
      (error: unknown) =>
        this.#continueWith(() => {
          throw error;
        }),
    );
    return true;
  }

  #continueWith(step: () => boolean): void {
    if (this.#state !== SUSPENDED) return;
    this.#resume = step;
    this.#state = QUEUED;
    schedule(this.#runner);
  }

  /** Calls `then` with the callback's result, now or once its promise settles. */
  #then<T>(result: T | PromiseLike<T>, then: (value: T) => boolean): boolean {
    return isThenable<T>(result) ? this.#await(result, then) : then(result);
  }

  #handle(envelope: Envelope): boolean {
    switch (envelope.t) {
      case 'init':
        return this.#init();
      case 'events':
        return this.#onEvents(envelope.sub, envelope.events);
      case 'ask':
        return this.#onAsk(envelope.sub, envelope.n);
      case 'subscribe-self':
        return this.#onSubscribeSelf(envelope.sub);
      case 'subscribe':
        return this.#onSubscribe(envelope.sub);
      case 'cancel-upstream':
        return this.#onCancelUpstream(envelope.sub, { kind: 'cancel', reason: envelope.reason });
      case 'consumer-down':
        return this.#onCancelUpstream(envelope.sub, { kind: 'down', reason: envelope.reason });
      case 'cancel-downstream':
        return this.#onCancelDownstream(envelope.sub, envelope.cancellation);
      case 'info':
        return this.#onInfo(envelope.message, RETURN_FALSE);
      case 'info-after-buffered':
        return this.#onInfoAfterBuffered(envelope.message);
      case 'call':
        return this.#onCall(envelope.request, envelope.from);
      case 'demand-mode':
        return this.#onDemandMode(envelope.mode);
    }
  }

  // ---------------------------------------------------------------- lifecycle

  #init(): boolean {
    const after = (): boolean => {
      for (const target of this.#subscribeTo) {
        if (Array.isArray(target)) {
          const [producer, options] = target as readonly [
            Stage<unknown, In>,
            SubscriptionOptions<In>,
          ];
          this.subscribe(producer, options);
        } else {
          this.subscribe(target as Stage<unknown, In>);
        }
      }
      return false;
    };
    if (this.#callbacks.init === undefined) return after();
    return this.#then(this.#callbacks.init(this as Stage<unknown, unknown>), after);
  }

  #crash(error: unknown): void {
    if (this.#state === STOPPED || this.#state === STOPPING) return;
    this.#terminate(error);
  }

  #terminate(reason: unknown): void {
    this.#state = STOPPING;
    this.#resume = null;
    const finish = (): boolean => {
      this.#finish(reason);
      return false;
    };
    if (this.#callbacks.terminate === undefined) {
      finish();
      return;
    }
    try {
      const result = this.#callbacks.terminate(reason, this as Stage<unknown, unknown>);
      if (isThenable(result)) {
        result.then(finish, (error: unknown) => {
          this.logger.error({ err: error }, 'terminate callback failed');
          finish();
        });
        return;
      }
    } catch (error) {
      this.logger.error({ err: error }, 'terminate callback failed');
    }
    finish();
  }

  #finish(reason: unknown): void {
    this.#state = STOPPED;
    this.#exitReason = reason;
    if (!isNormalReason(reason)) {
      if (typeof reason === 'object' && reason !== null) {
        if (!loggedErrors.has(reason)) {
          loggedErrors.add(reason);
          this.logger.error({ err: reason }, `stage ${this.name} stopped`);
        }
      } else {
        this.logger.error({ reason }, `stage ${this.name} stopped`);
      }
    }
    const down: Cancellation = { kind: 'down', reason };
    for (const sub of this.#consumers) {
      sub.consumer.#post({ t: 'cancel-downstream', sub, cancellation: down });
    }
    this.#consumers.clear();
    for (const link of this.#producers.values()) {
      link.sub.producer.#post({ t: 'consumer-down', sub: link.sub, reason });
    }
    this.#producers.clear();
    for (const envelope of this.#mailbox.drain()) this.#deadLetter(envelope);
    const stoppedError = new SluiceError(
      'ERR_STAGE_STOPPED',
      `stage ${this.name} stopped before replying`,
      {
        cause: isNormalReason(reason) ? undefined : reason,
      },
    );
    for (const call of this.#calls) call.reject(stoppedError);
    this.#calls.clear();
    const joiners = this.#joiners;
    this.#joiners = [];
    for (const j of joiners) {
      if (isNormalReason(reason)) j.resolve();
      else j.reject(toError(reason));
    }
  }

  /** What happens to mail that reaches a stopped stage. */
  #deadLetter(envelope: Envelope): void {
    switch (envelope.t) {
      case 'subscribe':
        // The producer is gone: the consumer sees its subscription go down.
        envelope.sub.consumer.#post({
          t: 'cancel-downstream',
          sub: envelope.sub,
          cancellation: { kind: 'down', reason: this.#exitReason ?? 'noproc' },
        });
        break;
      case 'call':
        envelope.from.reject(
          new SluiceError('ERR_STAGE_STOPPED', `stage ${this.name} has stopped`),
        );
        break;
      default:
        break;
    }
  }

  // ---------------------------------------------------------------- subscribing

  #validateSubscription(options: ResolvedSubscriptionOptions): void {
    const dispatcher = this.#dispatcher as {
      validateSubscription?: (o: ResolvedSubscriptionOptions) => void;
    } | null;
    dispatcher?.validateSubscription?.(options);
  }

  /**
   * Consumer side. As in GenStage, the subscribe message goes out before
   * `handleSubscribe` runs, so a manual consumer may `ask` from inside it;
   * an automatic one asks `maxDemand` once the callback has returned.
   */
  #onSubscribeSelf(sub: Sub): boolean {
    const link: UpstreamLink = { sub, demand: null, manualPending: 0 };
    this.#producers.set(sub, link);
    sub.producer.#post({ t: 'subscribe', sub });
    const proceed = (mode: unknown): boolean => {
      if (mode !== undefined && mode !== 'automatic' && mode !== 'manual') {
        throw new SluiceError(
          'ERR_BAD_RETURN',
          `handleSubscribe must return 'automatic' or 'manual', got ${show(mode)}`,
        );
      }
      if (mode !== 'manual' && this.#producers.get(sub) === link) {
        link.demand = new AutomaticDemand(sub.options.minDemand, sub.options.maxDemand);
        sub.producer.#post({ t: 'ask', sub, n: link.demand.subscribe() });
      }
      return false;
    };
    if (this.#callbacks.handleSubscribe === undefined) return proceed(undefined);
    return this.#then(
      this.#callbacks.handleSubscribe(
        'producer',
        sub.options,
        sub,
        this as Stage<unknown, unknown>,
      ),
      proceed,
    );
  }

  /** Producer side: register the consumer with the dispatcher. */
  #onSubscribe(sub: Sub): boolean {
    const dispatcher = this.#dispatcher as Dispatcher<unknown, Subscription>;
    let demand: number;
    try {
      demand = dispatcher.subscribe(sub, { ...sub.options, consumer: sub.consumer }, this.#target);
    } catch (error) {
      sub.consumer.#post({
        t: 'cancel-downstream',
        sub,
        cancellation: { kind: 'cancel', reason: error },
      });
      return false;
    }
    this.#consumers.add(sub);
    const proceed = (mode: unknown): boolean => {
      if (mode !== undefined && mode !== 'automatic') {
        throw new SluiceError(
          'ERR_BAD_RETURN',
          `handleSubscribe on a producer must return 'automatic', got ${show(mode)}`,
        );
      }
      return demand > 0 ? this.#onDemand(demand, demand, RETURN_FALSE) : false;
    };
    if (this.#callbacks.handleSubscribe === undefined) return proceed(undefined);
    return this.#then(
      this.#callbacks.handleSubscribe(
        'consumer',
        sub.options,
        sub,
        this as Stage<unknown, unknown>,
      ),
      proceed,
    );
  }

  /** Producer side: a consumer cancelled, or went down. */
  #onCancelUpstream(sub: Sub, cancellation: Cancellation): boolean {
    if (!this.#consumers.delete(sub)) return false;
    const demand = (this.#dispatcher as Dispatcher<unknown, Subscription>).cancel(
      sub,
      this.#target,
    );
    if (cancellation.kind === 'cancel') {
      sub.consumer.#post({ t: 'cancel-downstream', sub, cancellation });
    }
    return this.#runHandleCancel(cancellation, sub, () =>
      demand > 0 ? this.#onDemand(demand, demand, RETURN_FALSE) : false,
    );
  }

  /** Consumer side: the subscription ended (confirmed cancel, or producer down). */
  #onCancelDownstream(sub: Sub, cancellation: Cancellation): boolean {
    if (this.kind === 'producer_consumer' && this.#producers.has(sub) && this.#pcQueue.length > 0) {
      this.#pcQueue.push({ t: 'cancel', sub, cancellation });
      return false;
    }
    return this.#applyCancel(sub, cancellation, RETURN_FALSE);
  }

  #applyCancel(sub: Sub, cancellation: Cancellation, then: () => boolean): boolean {
    if (!this.#producers.delete(sub)) return then();
    return this.#runHandleCancel(cancellation, sub, () => {
      const mode = sub.options.cancel;
      if (mode === 'permanent' || (mode === 'transient' && !isNormalReason(cancellation.reason))) {
        this.#stopAfterFlush(cancellation.reason);
      }
      return then();
    });
  }

  /**
   * Stops because a subscription ended. A producer-consumer whose upstream
   * ended normally first sends what it still buffers to its consumers (GenStage
   * would drop it); for an abnormal reason, or with no consumer left to take
   * the events, it stops at once.
   */
  #stopAfterFlush(reason: unknown): void {
    const buffer = this.#buffer;
    if (buffer === null || buffer.count === 0 || !isNormalReason(reason)) {
      this.#requestStop(reason);
      return;
    }
    if (this.#consumers.size === 0) {
      this.logger.warn(
        { count: buffer.count },
        `stage ${this.name} stopped with ${buffer.count} buffered events and no consumer to take them`,
      );
      this.#requestStop(reason);
      return;
    }
    buffer.storeInfo(new StopWhenFlushed(reason));
  }

  #runHandleCancel(cancellation: Cancellation, sub: Sub, then: () => boolean): boolean {
    if (this.#callbacks.handleCancel === undefined) return then();
    return this.#then(
      this.#callbacks.handleCancel(cancellation, sub, this as Stage<unknown, unknown>),
      (events) => {
        this.#emit(events, 'handleCancel');
        return then();
      },
    );
  }

  /** Stop after the current step (used by cancel modes). */
  #requestStop(reason: unknown): void {
    if (!this.#stopRequested) {
      this.#stopRequested = true;
      this.#stopReason = reason;
    }
  }

  // ---------------------------------------------------------------- emitter side

  /** A consumer asked for `n` more events. */
  #onAsk(sub: Sub, n: number, then: () => boolean = RETURN_FALSE): boolean {
    if (!this.#consumers.has(sub)) return then();
    if (this.kind === 'producer' && this.#demandMode === 'accumulate') {
      // Held as a raw ask, so the dispatcher sees every subscriber before
      // any demand: a broadcast then includes all of them from the start.
      this.#accumulated.push({ ask: sub, n });
      return then();
    }
    const dispatcher = this.#dispatcher as Dispatcher<unknown, Subscription>;
    let counter = dispatcher.ask(sub, n, this.#target);
    let asked = n;
    // Asks already waiting next in the mailbox are served together, with one
    // handleDemand for their sum: a partitioned producer then emits one chunk
    // split across its consumers, not one small chunk per ask. Not while
    // accumulated demand is replayed: later asks must not overtake it.
    const fromMailbox = then === RETURN_FALSE && this.#accumulated.length === 0;
    for (
      let next = fromMailbox ? this.#mailbox.peek() : undefined;
      next?.t === 'ask';
      next = this.#mailbox.peek()
    ) {
      if (!this.#consumers.has(next.sub)) break;
      this.#mailbox.shift();
      counter += dispatcher.ask(next.sub, next.n, this.#target);
      asked += next.n;
    }
    return this.#onDemand(counter, asked, then);
  }

  /**
   * New upstream demand `counter` (from an ask of `asked`): serve it from the
   * buffer first, then from the stage itself.
   *
   * The buffer is offered up to `max(counter, asked)` events: when a
   * cancelled consumer's demand was carried over (the dispatcher returned
   * less than was asked), events buffered for it go to the new asker instead
   * of waiting for more demand.
   */
  #onDemand(counter: number, asked: number, then: () => boolean): boolean {
    let remaining = counter;
    const buffer = this.#buffer as EventBuffer<unknown>;
    if (buffer.count > 0 || buffer.infoCount > 0) {
      const taken = this.#takeFromBuffer(Math.max(counter, asked));
      remaining = Math.max(0, counter - taken);
    }
    if (remaining === 0) return then();
    if (this.kind === 'producer_consumer') {
      this.#pcDemand += remaining;
      return this.#takePcItems(then);
    }
    if (this.#demandMode === 'accumulate') {
      this.#accumulated.push({ demand: remaining });
      return then();
    }
    const callbacks = this.#callbacks as Required<Pick<AnyCallbacks, 'handleDemand'>>;
    return this.#then(
      callbacks.handleDemand(remaining, this as Stage<unknown, unknown>),
      (events) => {
        this.#emit(events, 'handleDemand');
        return then();
      },
    );
  }

  /** Dispatches up to `limit` buffered events and the infos they uncover. Returns how many left. */
  #takeFromBuffer(limit: number): number {
    const buffer = this.#buffer as EventBuffer<unknown>;
    const dispatcher = this.#dispatcher as Dispatcher<unknown, Subscription>;
    let taken = 0;
    for (;;) {
      this.#releaseReadyInfos();
      if (taken >= limit || buffer.count === 0) break;
      const events = buffer.take(limit - taken);
      if (events.length === 0) break;
      const leftover = dispatcher.dispatch(events, this.#target);
      taken += events.length - leftover.length;
      if (leftover.length > 0) {
        buffer.restore(leftover);
        break;
      }
    }
    return taken;
  }

  #releaseReadyInfos(): void {
    const buffer = this.#buffer as EventBuffer<unknown>;
    let ready = buffer.takeReadyInfo();
    while (ready !== undefined) {
      (this.#dispatcher as Dispatcher<unknown, Subscription>).info(ready.info, this.#target);
      ready = buffer.takeReadyInfo();
    }
  }

  /** Emits the events a callback returned: dispatch, then buffer the rest. */
  #emit(events: unknown, callback: string): void {
    if (events === undefined || events === null) return;
    if (!Array.isArray(events)) {
      throw new SluiceError(
        'ERR_BAD_RETURN',
        `${callback} must return an array of events or nothing, got ${show(events)}`,
      );
    }
    if (events.length === 0) return;
    if (this.kind === 'consumer') {
      this.logger.error(
        { count: events.length },
        `${callback} of consumer ${this.name} returned ${events.length} events; a consumer cannot emit events, so they were dropped`,
      );
      return;
    }
    if (this.kind === 'producer' && this.#demandMode === 'accumulate') {
      this.#accumulated.push({ events });
      return;
    }
    this.#dispatchOrBuffer(events as unknown[]);
  }

  #dispatchOrBuffer(events: unknown[]): void {
    const buffer = this.#buffer as EventBuffer<unknown>;
    if (this.kind === 'producer_consumer') {
      this.#pcDemand = Math.max(0, this.#pcDemand - events.length);
    }
    // Events must not overtake older buffered ones.
    const leftover =
      buffer.count > 0
        ? events
        : (this.#dispatcher as Dispatcher<unknown, Subscription>).dispatch(events, this.#target);
    if (leftover.length === 0) return;
    const discarded = buffer.store(leftover);
    if (discarded > 0) {
      this.#reportDiscarded(
        discarded,
        `the buffer is full (bufferSize ${buffer.size}, bufferKeep '${buffer.keep}')`,
      );
    }
  }

  #reportDiscarded(count: number, reason: string): void {
    this.logger.warn({ count }, `stage ${this.name} discarded ${count} events: ${reason}`);
    publishDiscarded({ stage: this.name, count, reason });
  }

  #onInfoAfterBuffered(message: unknown): boolean {
    if (this.kind === 'consumer') return this.#onInfo(message, RETURN_FALSE);
    if (this.kind === 'producer_consumer' && this.#pcQueue.length > 0) {
      this.#pcQueue.push({ t: 'info', message });
      return false;
    }
    const buffer = this.#buffer as EventBuffer<unknown>;
    if (buffer.count > 0) buffer.storeInfo(message);
    else (this.#dispatcher as Dispatcher<unknown, Subscription>).info(message, this.#target);
    return false;
  }

  #onDemandMode(mode: DemandMode): boolean {
    this.#demandMode = mode;
    if (mode === 'accumulate') return false;
    return this.#replayAccumulated();
  }

  #replayAccumulated(): boolean {
    return this.#iterate((next) => {
      if (this.#demandMode !== 'forward') return undefined;
      const item = this.#accumulated.shift();
      if (item === undefined) return undefined;
      if ('events' in item) {
        this.#dispatchOrBuffer(item.events as unknown[]);
        return next();
      }
      if ('ask' in item) return this.#onAsk(item.ask, item.n, next);
      return this.#onDemand(item.demand, item.demand, next);
    }, RETURN_FALSE);
  }

  /**
   * Runs `step` until it returns `undefined` (done), then `then`. Each step
   * calls `next` exactly once when it has finished, synchronously or after a
   * suspension, and returns whether it suspended. The synchronous case loops
   * instead of recursing, so long runs do not grow the stack.
   */
  #iterate(step: (next: () => boolean) => boolean | undefined, then: () => boolean): boolean {
    for (;;) {
      if (this.#stopRequested) return false;
      let synchronous = true;
      let again = false;
      const next = (): boolean => {
        if (synchronous) {
          again = true;
          return false;
        }
        return this.#iterate(step, then);
      };
      const suspended = step(next);
      synchronous = false;
      if (suspended === undefined) return then();
      if (suspended) return true;
      if (!again) return false;
    }
  }

  // ---------------------------------------------------------------- receiver side

  #onEvents(sub: Sub, events: unknown[]): boolean {
    const link = this.#producers.get(sub);
    if (link === undefined) return false; // cancelled meanwhile
    if (this.kind === 'producer_consumer') {
      this.#pcQueue.push({ t: 'events', sub, events });
      return this.#takePcItems(RETURN_FALSE);
    }
    return this.#consume(link, events, 0, RETURN_FALSE);
  }

  /**
   * Hands `events` to `handleEvents`, from `offset`, in chunks per the
   * subscription's demand rule, asking for more after each chunk.
   */
  #consume(link: UpstreamLink, events: unknown[], offset: number, then: () => boolean): boolean {
    const callbacks = this.#callbacks as Required<Pick<AnyCallbacks, 'handleEvents'>>;
    const demand = link.demand;
    const length = events.length;
    while (offset < length) {
      if (this.kind === 'producer_consumer' && this.#pcDemand <= 0) {
        // Downstream is full: the rest waits at the front of the queue, so a
        // producer-consumer runs at most one chunk ahead of its consumers.
        this.#pcQueue.unshift({ t: 'events', sub: link.sub, events: events.slice(offset) });
        return then();
      }
      let batch: unknown[];
      let ask = 0;
      if (demand === null) {
        batch = offset === 0 ? events : events.slice(offset);
        offset = length;
        if (batch.length > link.manualPending) {
          this.#reportExcess(link, batch.length - link.manualPending);
          link.manualPending = 0;
        } else {
          link.manualPending -= batch.length;
        }
      } else {
        const size = Math.min(demand.chunkSize, length - offset);
        batch = offset === 0 && size === length ? events : events.slice(offset, offset + size);
        offset += size;
        const excessBefore = demand.excess;
        ask = demand.consume(size);
        if (demand.excess > excessBefore) this.#reportExcess(link, demand.excess - excessBefore);
      }
      const result = callbacks.handleEvents(batch, link.sub, this as Stage<unknown, unknown>);
      if (isThenable(result)) {
        const next = offset;
        return this.#await(result, (out) => {
          this.#afterBatch(link, out, ask);
          if (this.#stopRequested) return false;
          return this.#consume(link, events, next, then);
        });
      }
      this.#afterBatch(link, result, ask);
      if (this.#stopRequested) return false;
    }
    return then();
  }

  #afterBatch(link: UpstreamLink, out: unknown, ask: number): void {
    this.#emit(out, 'handleEvents');
    if (ask > 0 && this.#producers.has(link.sub)) {
      link.sub.producer.#post({ t: 'ask', sub: link.sub, n: ask });
    }
  }

  #reportExcess(link: UpstreamLink, count: number): void {
    this.logger.error(
      { count, producer: link.sub.producer.name },
      `stage ${this.name} received ${count} events in excess of its demand from ${link.sub.producer.name}`,
    );
  }

  /** Producer-consumer: handle queued inbound items while downstream has demand. */
  #takePcItems(then: () => boolean): boolean {
    return this.#iterate((next) => {
      if (this.#pcDemand <= 0) return undefined;
      const item = this.#pcQueue.shift();
      if (item === undefined) return undefined;
      switch (item.t) {
        case 'events': {
          const link = this.#producers.get(item.sub);
          if (link === undefined) return next();
          return this.#consume(link, item.events, 0, next);
        }
        case 'info':
          return this.#onInfo(item.message, next);
        case 'cancel':
          return this.#applyCancel(item.sub, item.cancellation, next);
      }
    }, then);
  }

  // ---------------------------------------------------------------- info and calls

  #onInfo(message: unknown, then: () => boolean = RETURN_FALSE): boolean {
    if (message instanceof StopWhenFlushed) {
      this.#requestStop(message.reason);
      return then();
    }
    if (this.#callbacks.handleInfo === undefined) {
      this.logger.warn(
        { message: show(message) },
        `stage ${this.name} received a message but has no handleInfo`,
      );
      return then();
    }
    return this.#then(
      this.#callbacks.handleInfo(message, this as Stage<unknown, unknown>),
      (events) => {
        this.#emit(events, 'handleInfo');
        return then();
      },
    );
  }

  #onCall(request: unknown, from: PendingCall): boolean {
    if (this.#callbacks.handleCall === undefined) {
      from.reject(new SluiceError('ERR_BAD_RETURN', `stage ${this.name} has no handleCall`));
      return false;
    }
    this.#calls.add(from);
    return this.#then(
      this.#callbacks.handleCall(request, from, this as Stage<unknown, unknown>),
      (result: CallResult<unknown> | void) => {
        if (result !== undefined && result !== null) {
          if (typeof result !== 'object') {
            throw new SluiceError(
              'ERR_BAD_RETURN',
              `handleCall must return { events?, reply? } or nothing, got ${show(result)}`,
            );
          }
          this.#emit(result.events, 'handleCall');
          if ('reply' in result) this.reply(from, result.reply);
        }
        return false;
      },
    );
  }
}

const RETURN_FALSE = (): boolean => false;

function toError(reason: unknown): Error {
  if (reason instanceof Error) return reason;
  return new SluiceError('ERR_STAGE_STOPPED', `stage stopped: ${show(reason)}`, { cause: reason });
}

// ------------------------------------------------------------------ factories

/**
 * Starts a producer: a stage that emits events when consumers ask.
 *
 * @example
 * ```ts
 * let next = 0;
 * const counter = producer<number>({
 *   handleDemand(demand) {
 *     return Array.from({ length: demand }, () => next++);
 *   },
 * });
 * ```
 */
export function producer<Out>(
  callbacks: ProducerCallbacks<Out>,
  options: ProducerOptions<Out> = {},
): Stage<never, Out> {
  return create('producer', producerOptionsSchema, 'handleDemand', callbacks, options);
}

/**
 * Starts a producer-consumer: it receives events, transforms them in
 * `handleEvents` and emits the result. It only takes in events while its
 * own consumers have demand, so back-pressure crosses it.
 */
export function producerConsumer<In, Out>(
  callbacks: ProducerConsumerCallbacks<In, Out>,
  options: ProducerConsumerOptions<In, Out> = {},
): Stage<In, Out> {
  return create(
    'producer_consumer',
    producerConsumerOptionsSchema,
    'handleEvents',
    callbacks,
    options,
  );
}

/** Starts a consumer: the end of a chain, handling events in `handleEvents`. */
export function consumer<In>(
  callbacks: ConsumerCallbacks<In>,
  options: ConsumerOptions<In> = {},
): Stage<In, never> {
  return create('consumer', consumerOptionsSchema, 'handleEvents', callbacks, options);
}

const FACTORY_NAMES: Record<StageKind, string> = {
  producer: 'producer',
  producer_consumer: 'producerConsumer',
  consumer: 'consumer',
};

/** Validates a factory's options and callbacks, then starts the stage. */
function create<In, Out>(
  kind: StageKind,
  schema: z.ZodType,
  required: 'handleDemand' | 'handleEvents',
  callbacks: object,
  options: object,
): Stage<In, Out> {
  const name = FACTORY_NAMES[kind];
  const parsed = parseOptions(schema, options, `${name} options`);
  requireCallback(callbacks, required, name);
  return new Stage<In, Out>(kind, callbacks, parsed as InternalOptions);
}

function requireCallback(callbacks: object, name: string, factory: string): void {
  if (
    typeof callbacks !== 'object' ||
    callbacks === null ||
    typeof (callbacks as Record<string, unknown>)[name] !== 'function'
  ) {
    throw new SluiceError(
      'ERR_INVALID_OPTIONS',
      `invalid ${factory} callbacks: ${name}: expected a function, got ${show((callbacks as Record<string, unknown> | null)?.[name])}`,
    );
  }
}
