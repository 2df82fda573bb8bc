/**
 * A stage: GenStage's process, as an object with a mailbox. This class is its
 * public face; the work is split three ways behind it:
 *
 * - the mailbox and the continuation runner (runner.ts);
 * - the emitter side of a producer: consumers, dispatcher, buffer, held
 *   demand (emitter.ts, and the protocol steps in serve.ts);
 * - the receiver side of a consumer: upstream links, automatic demand, a
 *   producer-consumer's inbound queue (receiver.ts, and consume.ts);
 *
 * tied together by the stage's process (process.ts), which runs the right
 * callback for each envelope (protocol.ts).
 *
 * Stages never touch each other's state, so every callback runs alone, like
 * a process handling one message at a time. A callback that returns a
 * promise suspends its stage until it settles: the mailbox waits, and so does
 * the demand that would follow it. That is how a slow async consumer slows
 * its producer down.
 */
import type { z } from 'zod';
import { SluiceError } from '../errors.ts';
import { parseOptions, show } from '../options/parse.ts';
import type { Logger } from '../logger.ts';
import { resolveSubscriptionOptions, stageOptionSchemas } from './options.ts';
import { StageProcess } from './process.ts';
import { Sub, type AnyCallbacks, type InternalOptions, type PendingCall } from './protocol.ts';
import type {
  CallRef,
  ConsumerCallbacks,
  ConsumerOptions,
  DemandMode,
  ProducerCallbacks,
  ProducerConsumerCallbacks,
  ProducerConsumerOptions,
  ProducerOptions,
  ResolvedSubscriptionOptions,
  StageKind,
  Subscription,
  SubscriptionOptions,
} from './types.ts';

let nextStageId = 0;
let nextSubscriptionId = 0;
let nextCallId = 0;

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

  readonly #p: StageProcess;

  /** @internal Use {@link producer}, {@link producerConsumer} or {@link consumer}. */
  constructor(kind: StageKind, callbacks: AnyCallbacks, options: InternalOptions) {
    this.kind = kind;
    this.name = options.name ?? `${kind}-${nextStageId++}`;
    this.#p = new StageProcess(this, this.name, callbacks, options);
    this.logger = this.#p.logger;
  }

  // ---------------------------------------------------------------- public API

  /** True once the stage has stopped. */
  get stopped(): boolean {
    return this.#p.runner.stopped;
  }

  /** Why the stage stopped (`undefined` while it runs). */
  get exitReason(): unknown {
    return this.#p.exitReason;
  }

  /** The current demand mode of a producer (`forward` for other kinds). */
  get demandMode(): DemandMode {
    return this.#p.emitter?.mode ?? 'forward';
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
      throw kindError(`stage ${this.name} is a producer and cannot subscribe to other stages`);
    }
    if (!(producer instanceof Stage)) {
      throw kindError(`subscribe: expected a Stage to subscribe to, got ${show(producer)}`);
    }
    if (producer.kind === 'consumer') {
      throw kindError(`stage ${producer.name} is a consumer and has nothing to subscribe to`);
    }
    const resolved = resolveSubscriptionOptions(options) as ResolvedSubscriptionOptions;
    const from = producer.#p;
    from.emitter?.dispatcher.validateSubscription?.(resolved);
    const sub = new Sub(nextSubscriptionId++, from, this.#p, resolved);
    this.#p.post({ t: 'subscribe-self', sub });
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
    const receiver = this.#p.receiver;
    const link = receiver.links.get(subscription as Sub);
    if (count === 0 || link === undefined) return;
    receiver.askManually(link, count);
    link.sub.from.post({ t: 'ask', sub: link.sub, n: count });
  }

  /**
   * Cancels a subscription. Events already sent on it are still handled;
   * then both sides run `handleCancel`, and this consumer reacts by the
   * subscription's cancel mode. A cancel right after `subscribe` waits for
   * the subscription to be made first, so it is never lost.
   */
  cancel(subscription: Subscription, reason: unknown = 'normal'): void {
    const sub = subscription as Sub;
    const p = this.#p;
    if (sub.to === p) {
      if (p.receiver.links.has(sub)) sub.from.post({ t: 'cancel-upstream', sub, reason });
      else p.post({ t: 'cancel-self', sub, reason });
    } else if (sub.from === p) {
      p.post({ t: 'cancel-upstream', sub, reason });
    }
  }

  /** Sends `message` to the stage's `handleInfo`, in mailbox order. */
  send(message: unknown): void {
    this.#p.post({ t: 'info', message });
  }

  /**
   * Like {@link send}, but on an emitter the message reaches `handleInfo` only
   * after every event buffered before it has been dispatched, or dropped by a
   * full buffer (GenStage's `async_info`). The idiom for a finite producer to
   * stop cleanly.
   */
  infoAfterBuffered(message: unknown): void {
    this.#p.post({ t: 'info-after-buffered', message });
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
      this.#p.post({ t: 'call', request, from });
    });
  }

  /** Replies to a call whose `handleCall` left the reply out. */
  reply(from: CallRef, value: unknown): void {
    const call = from as PendingCall;
    if (this.#p.calls.delete(call)) call.resolve(value);
  }

  /** Switches a producer between `forward` and `accumulate` demand. */
  setDemandMode(mode: DemandMode): void {
    if (mode !== 'forward' && mode !== 'accumulate') {
      throw new SluiceError(
        'ERR_INVALID_OPTIONS',
        `setDemandMode: expected 'forward' or 'accumulate', got ${show(mode)}`,
      );
    }
    if (this.kind !== 'producer') {
      throw kindError(
        `setDemandMode: stage ${this.name} is a ${this.kind}; only producers have a demand mode`,
      );
    }
    this.#p.post({ t: 'demand-mode', mode });
  }

  /** Events waiting in this emitter's buffer (0 for consumers). */
  estimateBufferedCount(): number {
    return this.#p.emitter?.buffer.count ?? 0;
  }

  /**
   * Stops the stage once its current callback settles, running `terminate`.
   * Resolves when it has stopped. Subscribers react by their cancel mode.
   */
  stop(reason: unknown = 'normal'): Promise<void> {
    const runner = this.#p.runner;
    if (!runner.stopped && !runner.stopRequested) {
      runner.requestStop(reason);
      runner.wake();
    }
    return this.join().catch(() => undefined);
  }

  /**
   * Stops the stage now, even in the middle of a callback that never
   * settles (GenStage's brutal kill). `terminate` still runs; whatever the
   * interrupted callback does afterwards is ignored.
   */
  kill(reason: unknown = 'killed'): Promise<void> {
    if (!this.#p.runner.closed) this.#p.terminate(reason);
    return this.join().catch(() => undefined);
  }

  /** Resolves when the stage stops normally; rejects with the reason otherwise. */
  join(): Promise<void> {
    return this.#p.join();
  }
}

function kindError(message: string): SluiceError {
  return new SluiceError('ERR_STAGE_KIND', message);
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
  return create(
    'producer',
    stageOptionSchemas().producerOptionsSchema,
    'handleDemand',
    callbacks,
    options,
  );
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
    stageOptionSchemas().producerConsumerOptionsSchema,
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
  return create(
    'consumer',
    stageOptionSchemas().consumerOptionsSchema,
    'handleEvents',
    callbacks,
    options,
  );
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
