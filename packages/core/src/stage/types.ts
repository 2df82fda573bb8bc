/**
 * Public types of the stage core: callbacks, options and the values they
 * exchange. The runtime lives in stage.ts.
 */
import type { z } from 'zod';
import type { Agrees, Assert } from '../internal/agrees.ts';
import type { Dispatcher } from './dispatcher.ts';
import type { StageOptionSchemas } from './options.ts';
import type { Stage } from './stage.ts';

/** A stage's role. Producers emit, consumers receive, producer-consumers do both. */
export type StageKind = 'producer' | 'producer_consumer' | 'consumer';

/**
 * What a consumer does when one of its subscriptions ends:
 * - `permanent`: it stops, with the same reason;
 * - `transient`: it stops unless the reason is normal (`'normal'`, `'shutdown'`, `{ shutdown }`);
 * - `temporary`: it keeps running.
 */
export type CancelMode = z.infer<StageOptionSchemas['cancelMode']>;

/**
 * `forward` passes demand to `handleDemand` as it arrives. `accumulate`
 * holds demand and emitted events until switched to `forward`, e.g. to
 * wait until every consumer has subscribed.
 */
export type DemandMode = z.infer<StageOptionSchemas['demandMode']>;

/** `automatic` (default) lets the runtime manage demand; `manual` leaves it to `stage.ask`. */
export type SubscribeMode = 'automatic' | 'manual';

/** Why a subscription ended: an explicit cancel, or the other stage stopping (`down`). */
export interface Cancellation {
  readonly kind: 'cancel' | 'down';
  readonly reason: unknown;
}

/** Options of one consumer→producer subscription (described in stage/options.ts). */
export interface SubscriptionOptions<T = unknown> extends Omit<
  z.input<StageOptionSchemas['subscriptionSchema']>,
  'selector'
> {
  /** For a BroadcastDispatcher producer: which events this consumer wants. */
  readonly selector?: ((event: T) => boolean) | undefined;
}

/** Subscription options after defaults are applied. */
export type ResolvedSubscriptionOptions<T = unknown> = Omit<
  z.output<StageOptionSchemas['subscriptionSchema']>,
  'selector'
> & { readonly selector?: ((event: T) => boolean) | undefined };

/** A producer for a consumer's `subscribeTo`, alone or with subscription options. */
export type SubscribeTarget<T> =
  | Stage<never, T>
  | Stage<unknown, T>
  | readonly [Stage<never, T> | Stage<unknown, T>, SubscriptionOptions<T>];

/** Events a callback returns; `void` means none. May be a promise. */
export type EventsResult<T> = readonly T[] | void | undefined;
export type MaybePromise<T> = T | PromiseLike<T>;

/** Identifies one `stage.call(...)` waiting for its reply. */
export interface CallRef {
  readonly id: number;
}

/** What `handleCall` returns: events to emit and, unless deferred, the reply. */
export interface CallResult<T, R = unknown> {
  readonly events?: readonly T[];
  /** The reply. Leave it out to reply later with `stage.reply(from, value)`. */
  readonly reply?: R;
}

/** How a stage shares its events among consumers (`dispatcher`). */
interface Emits<Out> {
  readonly dispatcher?: Dispatcher<Out, Subscription> | undefined;
}
/** The producers a stage subscribes to once `init` has run (`subscribeTo`). */
interface Receives<In> {
  readonly subscribeTo?: readonly SubscribeTarget<In>[] | undefined;
}

/** `producer()`'s options (described in stage/options.ts). */
export interface ProducerOptions<Out>
  extends Omit<z.input<StageOptionSchemas['producerOptionsSchema']>, 'dispatcher'>, Emits<Out> {}
/** `producerConsumer()`'s options (described in stage/options.ts). */
export interface ProducerConsumerOptions<In, Out>
  extends
    Omit<
      z.input<StageOptionSchemas['producerConsumerOptionsSchema']>,
      'dispatcher' | 'subscribeTo'
    >,
    Emits<Out>,
    Receives<In> {}
/** `consumer()`'s options (described in stage/options.ts). */
export interface ConsumerOptions<In>
  extends Omit<z.input<StageOptionSchemas['consumerOptionsSchema']>, 'subscribeTo'>, Receives<In> {}

type _Agree = [
  Assert<Agrees<SubscriptionOptions, z.input<StageOptionSchemas['subscriptionSchema']>>>,
  Assert<Agrees<ProducerOptions<unknown>, z.input<StageOptionSchemas['producerOptionsSchema']>>>,
  Assert<
    Agrees<
      ProducerConsumerOptions<unknown, unknown>,
      z.input<StageOptionSchemas['producerConsumerOptionsSchema']>
    >
  >,
  Assert<Agrees<ConsumerOptions<unknown>, z.input<StageOptionSchemas['consumerOptionsSchema']>>>,
];

/** Callbacks every stage kind may implement. All may be async. */
export interface CommonCallbacks<In, Out> {
  /** Runs first, before any other callback. */
  init?(stage: Stage<In, Out>): MaybePromise<void>;
  /** A message sent with `stage.send` or `stage.infoAfterBuffered`. */
  handleInfo?(message: unknown, stage: Stage<In, Out>): MaybePromise<EventsResult<Out>>;
  /** A request made with `stage.call`. */
  handleCall?(
    request: unknown,
    from: CallRef,
    stage: Stage<In, Out>,
  ): MaybePromise<CallResult<Out> | void>;
  /** A subscription ended. On a producer, `subscription.consumer` left. */
  handleCancel?(
    cancellation: Cancellation,
    subscription: Subscription,
    stage: Stage<In, Out>,
  ): MaybePromise<EventsResult<Out>>;
  /**
   * A subscription is being made. `as` is the other side's role. Consumers
   * may return `'manual'` to manage demand with `stage.ask`; producers must
   * return `'automatic'` (or nothing).
   */
  handleSubscribe?(
    as: 'producer' | 'consumer',
    options: ResolvedSubscriptionOptions,
    subscription: Subscription,
    stage: Stage<In, Out>,
  ): MaybePromise<SubscribeMode | void>;
  /** The stage is stopping with `reason`. Not called if the process dies. */
  terminate?(reason: unknown, stage: Stage<In, Out>): MaybePromise<void>;
}

export interface ProducerCallbacks<Out> extends CommonCallbacks<never, Out> {
  /** Consumers want `demand` more events. Emit up to that many, now or later. */
  handleDemand(demand: number, stage: Stage<never, Out>): MaybePromise<EventsResult<Out>>;
}

export interface ProducerConsumerCallbacks<In, Out> extends CommonCallbacks<In, Out> {
  /** Events from `subscription`'s producer; returns the events to emit downstream. */
  handleEvents(
    events: In[],
    subscription: Subscription,
    stage: Stage<In, Out>,
  ): MaybePromise<EventsResult<Out>>;
}

export interface ConsumerCallbacks<In> extends CommonCallbacks<In, never> {
  /** Events from `subscription`'s producer. A consumer emits nothing. */
  handleEvents(
    events: In[],
    subscription: Subscription,
    stage: Stage<In, never>,
  ): MaybePromise<void>;
}

/** One consumer→producer link. Events on a link arrive in the order they were sent. */
export interface Subscription {
  readonly id: number;
  readonly producer: Stage<unknown, unknown>;
  readonly consumer: Stage<unknown, unknown>;
  readonly options: ResolvedSubscriptionOptions;
}
