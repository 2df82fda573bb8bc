/**
 * The dispatcher contract: how a producer's events are shared among the
 * consumers subscribed to it. A dispatcher is a pure state machine; it never
 * sends anything itself but calls back into a {@link DispatchTarget}, so
 * policies are tested without stages, timers or I/O.
 *
 * `S` is the subscription key. Stages pass their `Subscription` objects;
 * tests may pass any distinct objects.
 */

/** What a dispatcher may ask the producing stage to do. */
export interface DispatchTarget<T, S = unknown> {
  /** Sends `events` (non-empty) to the consumer behind `subscription`. */
  deliver(subscription: S, events: T[]): void;
  /**
   * Has the stage run `ask(subscription, count)` again, later, as if the
   * consumer had asked: for events a selector filtered out, or with a count
   * of 0 only to collect upstream demand the dispatcher owes (events its
   * partition hash discarded).
   */
  reask(subscription: S, count: number): void;
  /** Hands an info message back to the producer, to run its `handleInfo`. */
  info(message: unknown): void;
  /** Reports events the policy dropped (a partition hash that returned none). */
  discard(count: number, reason: string): void;
  /**
   * A non-fatal misuse worth a log line, logged with `code` (a `WARN_…`
   * code, `WARN_DISPATCHER` when none is given).
   */
  warn(message: string, code?: string): void;
}

/** Options a consumer passes to its producer's dispatcher when subscribing. */
export interface DispatcherSubscribeOptions<T = unknown> {
  /** PartitionDispatcher: the partition this subscription takes. */
  readonly partition?: PartitionName | undefined;
  /** BroadcastDispatcher: only events for which this returns true are sent. */
  readonly selector?: ((event: T) => boolean) | undefined;
  /** The subscribing consumer's identity, filled in by the stage runtime. */
  readonly consumer?: unknown;
}

/** A partition's name: its index, or any string or number you chose. */
export type PartitionName = string | number;

/**
 * A dispatch policy. Every method returns the demand to forward upstream
 * (to the producer's `handleDemand` or buffer), except `dispatch`, which
 * returns the events no consumer could take yet (they go to the buffer).
 */
export interface Dispatcher<T, S = unknown> {
  /**
   * True when the demand this dispatcher returns already counts the events
   * it left over: they wait in the producer's buffer and count as asked
   * upstream until dispatched (GenStage's broadcast and partition
   * accounting). The producer then sends buffered events without taking them
   * off that demand; otherwise (the default) they are taken off it, as
   * GenStage does for every dispatcher. Doing that for a dispatcher that
   * counts its leftovers asks upstream for too little and can stall for
   * good; GenStage itself stalls so.
   */
  readonly leftoversCounted?: boolean;
  /**
   * Optional early check, run when `subscribe` is called, so that options
   * that can never work (an unknown partition) throw at once.
   */
  validateSubscription?(options: DispatcherSubscribeOptions<T>): void;
  /** Registers a consumer. Throws a SluiceError if the options are unusable. */
  subscribe(
    subscription: S,
    options: DispatcherSubscribeOptions<T>,
    target: DispatchTarget<T, S>,
  ): number;
  /** Removes a consumer; its unmet demand is remembered so upstream is not asked twice. */
  cancel(subscription: S, target: DispatchTarget<T, S>): number;
  /** A consumer asked for `count` more events. */
  ask(subscription: S, count: number, target: DispatchTarget<T, S>): number;
  /**
   * Sends what consumers have asked for; returns the leftover events, in
   * order. The stage buffers them and offers them again at the next ask, so
   * a dispatcher must return every event it neither delivered nor dropped.
   */
  dispatch(events: T[], target: DispatchTarget<T, S>): T[];
  /** Delivers `message` to the producer once every event dispatched before it has left. */
  info(message: unknown, target: DispatchTarget<T, S>): void;
}

/** An empty array shared by dispatchers for "no leftovers". */
export const NONE: never[] = [];
