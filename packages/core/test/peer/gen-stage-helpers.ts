/**
 * Shared pieces for the translation of gen_stage's test/gen_stage_test.exs.
 *
 * The Elixir suite sends every observation to the test process and checks it
 * with `assert_receive` / `refute_received`. Here a {@link Mailbox} plays the
 * test process: the test stages below (counterpart of the suite's Counter,
 * Forwarder, Doubler, ... modules) post tuples into it, and
 *
 * - `mailbox.receive(pattern)` is `assert_receive`: it waits until a matching
 *   message is there, removes the first one and returns it; it fails with a
 *   clear message after a generous bound ({@link RECEIVE_BOUND_MS}), which is
 *   a safety net for a hung test, never a timing assertion;
 * - `mailbox.received(pattern)` is `assert_received` (no waiting);
 * - `mailbox.refute(pattern)` is `refute_received`: call it only after
 *   {@link quiesce}, once the system has gone quiet.
 *
 * Patterns follow Elixir's: arrays match element by element, plain objects
 * key by key, {@link ANY} is `_`, a function is a guard, and anything else
 * (stages, subscriptions, strings, numbers) must be identical.
 */
import { afterEach } from 'vitest';
import {
  consumer,
  producer,
  producerConsumer,
  type CallRef,
  type Cancellation,
  type ConsumerCallbacks,
  type Dispatcher,
  type ProducerOptions,
  type SubscribeMode,
  type SubscribeTarget,
  type Stage,
  type Subscription,
  type SubscriptionOptions,
} from '../../src/stage/index.ts';
import { memoryLogger, settle, type LogLine } from '../helpers.ts';

/** The upper bound of `receive`, a safety net only: no test asserts a timing. */
export const RECEIVE_BOUND_MS = 3_000;

/** Elixir's `_` in a pattern. */
export const ANY: unique symbol = Symbol('_');

export type Pattern = unknown;

/** Does `value` match the Elixir-style `pattern`? */
export function matches(pattern: Pattern, value: unknown): boolean {
  if (pattern === ANY) return true;
  if (typeof pattern === 'function') return (pattern as (v: unknown) => boolean)(value) === true;
  if (Array.isArray(pattern)) {
    return (
      Array.isArray(value) &&
      value.length === pattern.length &&
      pattern.every((p, i) => matches(p, value[i]))
    );
  }
  if (isPlainObject(pattern)) {
    if (typeof value !== 'object' || value === null) return false;
    const keys = Object.keys(pattern);
    return keys.every((k) =>
      matches((pattern as Record<string, unknown>)[k], (value as Record<string, unknown>)[k]),
    );
  }
  return Object.is(pattern, value);
}

function isPlainObject(value: unknown): value is object {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function show(value: unknown): string {
  const text = showFull(value);
  return text.length > 600 ? `${text.slice(0, 600)}…` : text;
}

function showMessages(messages: unknown[]): string {
  return messages.slice(0, 10).map(show).join('\n  ');
}

function showFull(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v: unknown) => {
      if (v === ANY) return '_';
      if (typeof v === 'function') return '<guard>';
      if (typeof v === 'symbol') return v.toString();
      if (typeof v === 'object' && v !== null) {
        if ('kind' in v && 'name' in v && 'logger' in v) return `<stage ${String(v.name)}>`;
        if ('producer' in v && 'consumer' in v && 'id' in v) {
          return `<subscription ${String(v.id)}>`;
        }
        if (v instanceof Error) return `<${v.name}: ${v.message}>`;
        if (v instanceof Mailbox) return '<mailbox>';
      }
      return v;
    });
  } catch {
    return String(value);
  }
}

/** The test process's mailbox. */
export class Mailbox {
  readonly messages: unknown[] = [];

  send(message: unknown): void {
    this.messages.push(message);
  }

  #take(pattern: Pattern): { found: boolean; message?: unknown } {
    const index = this.messages.findIndex((m) => matches(pattern, m));
    if (index < 0) return { found: false };
    const [message] = this.messages.splice(index, 1);
    return { found: true, message };
  }

  /** `assert_receive`: waits for a message matching `pattern`, removes and returns it. */
  async receive(pattern: Pattern): Promise<unknown> {
    const deadline = Date.now() + RECEIVE_BOUND_MS;
    for (;;) {
      const got = this.#take(pattern);
      if (got.found) return got.message;
      if (Date.now() > deadline) {
        throw new Error(
          `assert_receive: no message matching ${show(pattern)} arrived within the ${RECEIVE_BOUND_MS} ms safety bound.\n` +
            `Mailbox (${this.messages.length}, the first 10):\n  ${showMessages(this.messages)}`,
        );
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** `assert_received`: a matching message is already here. */
  received(pattern: Pattern): unknown {
    const got = this.#take(pattern);
    if (!got.found) {
      throw new Error(
        `assert_received: no message matching ${show(pattern)}.\nMailbox (${this.messages.length}, the first 10):\n  ${showMessages(this.messages)}`,
      );
    }
    return got.message;
  }

  /** `refute_received`: no matching message is here. Call after {@link quiesce}. */
  refute(pattern: Pattern): void {
    const found = this.messages.find((m) => matches(pattern, m));
    if (found !== undefined) {
      throw new Error(`refute_received: unexpected message ${show(found)}`);
    }
  }
}

/** Waits until `predicate` holds, within the same safety bound as `receive`. */
export async function waitFor(predicate: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + RECEIVE_BOUND_MS;
  while (!predicate()) {
    if (Date.now() > deadline) {
      throw new Error(
        `waitFor: ${what} did not happen within the ${RECEIVE_BOUND_MS} ms safety bound`,
      );
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
}

type AnyStage = Stage<never, unknown> | Stage<unknown, unknown> | Stage<unknown, never>;

/**
 * Lets the system go quiet: a few event-loop turns, then a call round trip
 * through each running stage given (everything already in its mailbox has been
 * handled once its reply arrives), then a few more turns.
 */
export async function quiesce(...stages: AnyStage[]): Promise<void> {
  await settle();
  for (const stage of stages) {
    if (!stage.stopped) await (stage as Stage).call('ping').catch(() => undefined);
  }
  await settle();
}

// Every stage a test starts is killed after it.
const started: AnyStage[] = [];
export function track<S extends AnyStage>(stage: S): S {
  started.push(stage);
  return stage;
}
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.kill('test-end')));
});

/** A quiet logger whose lines a test may read. */
export function logLines(): { logger: ReturnType<typeof memoryLogger>; lines: LogLine[] } {
  const lines: LogLine[] = [];
  return { logger: memoryLogger(lines), lines };
}

const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Elixir's `Enum.to_list(from..to)`. */
export { range };

/** Elixir's `Enum.flat_map(from..to, &[&1, &1])`. */
export function doubled(from: number, to: number): number[] {
  return range(from, to).flatMap((n) => [n, n]);
}

/**
 * GenStage's `sync_subscribe`: subscribes, then waits for a call round trip
 * through the consumer, so the subscription has been sent to the producer
 * (and handleSubscribe has run) when it returns, as the original's call
 * guarantees. `subscribe` alone is `async_subscribe`.
 */
export async function syncSubscribe(
  consumer: AnyStage,
  producer: AnyStage,
  options?: SubscriptionOptions<unknown>,
): Promise<Subscription> {
  const ref = (consumer as Stage).subscribe(producer as Stage, options);
  await (consumer as Stage).call('ping');
  return ref;
}

/** A `handleCall` answer every test stage gives, for {@link quiesce}. */
function ping(request: unknown): { reply: string } | undefined {
  return request === 'ping' ? { reply: 'pong' } : undefined;
}

// ------------------------------------------------------------ test stages

export interface CounterOptions<T> extends ProducerOptions<T> {
  /** What handleSubscribe returns (the suite passes it as `producer_demand`). */
  readonly producerDemand?: unknown;
}

/**
 * The suite's Counter: with a number as state it emits `state, state + 1, ...`
 * on demand; with a mailbox as state it emits nothing on demand and reports
 * subscribes, cancels and unknown infos there. Either way it emits the events
 * of a `{ queue }` call or info.
 */
export function counter(
  state: number | Mailbox,
  options: CounterOptions<unknown> = {},
): Stage<never, unknown> {
  const { producerDemand, ...producerOptions } = options;
  const mailbox = state instanceof Mailbox ? state : undefined;
  let count = typeof state === 'number' ? state : 0;
  const current = (): unknown => mailbox ?? count;
  return track(
    producer<unknown>(
      {
        handleCall(request: unknown, from: CallRef, stage) {
          const pong = ping(request);
          if (pong) return pong;
          if (request === 'stop') {
            void stage.stop('shutdown');
            return { reply: 'ok' };
          }
          const r = request as { queue?: unknown[]; earlyReplyQueue?: unknown[] };
          if (r.earlyReplyQueue !== undefined) {
            stage.reply(from, current());
            return { events: r.earlyReplyQueue };
          }
          return { reply: current(), events: r.queue ?? [] };
        },
        handleInfo(message: unknown) {
          const m = message as { queue?: unknown[] } | null;
          if (typeof m === 'object' && m !== null && m.queue !== undefined) return m.queue;
          mailbox?.send(message);
          return [];
        },
        handleSubscribe(_as, _options, subscription) {
          mailbox?.send(['producer_subscribed', subscription]);
          return (producerDemand ?? 'automatic') as SubscribeMode;
        },
        handleCancel(cancellation: Cancellation, subscription: Subscription) {
          mailbox?.send(['producer_cancelled', subscription, cancellation]);
          return [];
        },
        handleDemand(demand: number) {
          if (mailbox !== undefined) return [];
          const events = range(count, count + demand - 1);
          count += demand;
          return events;
        },
      },
      { logger: memoryLogger(), ...producerOptions },
    ),
  );
}

/** `Counter.sync_queue`: emits `events` from handleCall, resolves with the state. */
export function syncQueue(stage: Stage<never, unknown>, events: unknown[]): Promise<unknown> {
  return stage.call({ queue: events });
}

/** `Counter.async_queue` (a cast): emits `events` from handleInfo. */
export function asyncQueue(stage: Stage<never, unknown>, events: unknown[]): void {
  stage.send({ queue: events });
}

export interface ForwarderOptions {
  readonly subscribeTo?: readonly SubscribeTarget<unknown>[];
  /** What handleSubscribe returns (the suite passes it as `consumer_demand`). */
  readonly consumerDemand?: unknown;
  readonly logger?: ReturnType<typeof memoryLogger>;
}

/** The suite's Forwarder: a consumer reporting everything to `mailbox`. */
export function forwarder(mailbox: Mailbox, options: ForwarderOptions = {}): Stage<unknown, never> {
  return track(
    consumer<unknown>(
      {
        handleCall(request: unknown, _from, stage) {
          const pong = ping(request);
          if (pong) return pong;
          const [to, n] = (request as { ask: [Subscription, number] }).ask;
          stage.ask(to, n);
          return { reply: 'ok' };
        },
        handleSubscribe(_as, _options, subscription) {
          mailbox.send(['consumer_subscribed', subscription]);
          return (options.consumerDemand ?? 'automatic') as SubscribeMode;
        },
        handleInfo(message: unknown) {
          mailbox.send(message);
        },
        handleEvents(events: unknown[]) {
          mailbox.send(['consumed', events]);
        },
        handleCancel(cancellation: Cancellation, subscription: Subscription) {
          mailbox.send(['consumer_cancelled', subscription, cancellation]);
        },
        terminate(reason: unknown) {
          mailbox.send(['terminated', reason]);
        },
      },
      {
        logger: options.logger ?? memoryLogger(),
        ...(options.subscribeTo !== undefined && { subscribeTo: options.subscribeTo }),
      },
    ),
  );
}

/** The suite's Forwarder started as a producer (it has no demand handling of its own). */
export function forwarderProducer(mailbox: Mailbox): Stage<never, unknown> {
  return track(
    producer<unknown>(
      {
        handleDemand: () => [],
        handleCall: ping,
        terminate(reason: unknown) {
          mailbox.send(['terminated', reason]);
        },
      },
      { logger: memoryLogger() },
    ),
  );
}

/** `Forwarder.ask(forwarder, to, n)`: the consumer asks from inside a call. */
export function forwarderAsk(
  stage: Stage<unknown, never>,
  to: Subscription,
  n: number,
): Promise<unknown> {
  return stage.call({ ask: [to, n] });
}

export interface DoublerOptions {
  readonly subscribeTo?: readonly SubscribeTarget<unknown>[];
  readonly dispatcher?: Dispatcher<unknown, Subscription>;
  /**
   * What handleSubscribe returns when subscribed as `as` (the suite passes it
   * as `producer_consumer_demand` in the subscription's options).
   */
  readonly demand?: { readonly as: 'producer' | 'consumer'; readonly mode: unknown };
  readonly logger?: ReturnType<typeof memoryLogger>;
}

/** The suite's Doubler: a producer-consumer emitting every event twice. */
export function doubler(mailbox: Mailbox, options: DoublerOptions = {}): Stage<unknown, unknown> {
  return track(
    producerConsumer<unknown, unknown>(doublerCallbacks(mailbox, options), {
      logger: options.logger ?? memoryLogger(),
      ...(options.subscribeTo !== undefined && { subscribeTo: options.subscribeTo }),
      ...(options.dispatcher !== undefined && { dispatcher: options.dispatcher }),
    }),
  );
}

/** The Doubler started as a plain consumer (`Doubler.start_link({:consumer, ...})`). */
export function doublerConsumer(mailbox: Mailbox): Stage<unknown, never> {
  const callbacks = doublerCallbacks(mailbox, {});
  return track(
    consumer<unknown>(
      {
        // The Doubler's callbacks return events; a consumer's may not (the
        // runtime logs and drops them), hence the cast.
        ...(callbacks as unknown as Omit<ConsumerCallbacks<unknown>, 'handleEvents'>),
        handleEvents(events, subscription, stage) {
          callbacks.handleEvents(events, subscription, stage);
        },
      },
      { logger: memoryLogger() },
    ),
  );
}

function doublerCallbacks(mailbox: Mailbox, options: DoublerOptions) {
  return {
    handleCall: ping,
    handleSubscribe(
      as: 'producer' | 'consumer',
      _options: unknown,
      subscription: Subscription,
    ): SubscribeMode {
      mailbox.send(['producer_consumer_subscribed', as, subscription]);
      const mode = options.demand?.as === as ? options.demand.mode : 'automatic';
      return mode as SubscribeMode;
    },
    handleCancel(cancellation: Cancellation, subscription: Subscription): unknown[] {
      mailbox.send(['producer_consumer_cancelled', subscription, cancellation]);
      return [];
    },
    handleEvents(events: unknown[], _subscription: Subscription, _stage: Stage): unknown[] {
      mailbox.send(['producer_consumed', events]);
      return events.flatMap((e) => [e, e]);
    },
    handleInfo(message: unknown): unknown[] {
      mailbox.send(message);
      return [];
    },
  };
}

/** The suite's Postponer: emits each chunk later, from handleInfo. */
export function postponer(
  mailbox: Mailbox,
  subscribeTo: readonly SubscribeTarget<unknown>[],
): Stage<unknown, unknown> {
  return track(
    producerConsumer<unknown, unknown>(
      {
        handleCall: ping,
        handleEvents(events, _subscription, stage) {
          stage.send(['postponed', events]);
          return [];
        },
        handleInfo(message: unknown) {
          const [tag, events] = message as [string, unknown[]];
          if (tag !== 'postponed') return [];
          mailbox.send(['postponed', events]);
          return events;
        },
      },
      { logger: memoryLogger(), subscribeTo },
    ),
  );
}

/** The suite's Discarder: reports every chunk and emits nothing. */
export function discarder(
  mailbox: Mailbox,
  subscribeTo: readonly SubscribeTarget<unknown>[],
): Stage<unknown, unknown> {
  return track(
    producerConsumer<unknown, unknown>(
      {
        handleCall: ping,
        handleEvents(events) {
          mailbox.send(['discarded', events]);
          return [];
        },
      },
      { logger: memoryLogger(), subscribeTo },
    ),
  );
}

/** The suite's Sleeper: reports its first chunk, then never returns. */
export function sleeper(
  mailbox: Mailbox,
  subscribeTo: readonly SubscribeTarget<unknown>[] = [],
): Stage<unknown, never> {
  return track(
    consumer<unknown>(
      {
        handleEvents(events) {
          mailbox.send(['sleep', events]);
          return new Promise<void>(() => undefined);
        },
      },
      { logger: memoryLogger(), subscribeTo },
    ),
  );
}

/** The suite's NothingProducer: reports each demand and emits nothing. */
export function nothingProducer(
  mailbox: Mailbox,
  options: ProducerOptions<unknown> = {},
): Stage<never, unknown> {
  return track(
    producer<unknown>(
      {
        handleCall: ping,
        handleDemand(demand) {
          mailbox.send(['demand', demand]);
          return [];
        },
      },
      { logger: memoryLogger(), ...options },
    ),
  );
}

/** The suite's DemandProducer: emits each demand it sees as one event. */
export function demandProducer(options: ProducerOptions<number> = {}): Stage<never, number> {
  return track(
    producer<number>(
      {
        handleCall: ping,
        handleDemand: (demand) => [demand],
      },
      { logger: memoryLogger(), ...options },
    ),
  );
}
