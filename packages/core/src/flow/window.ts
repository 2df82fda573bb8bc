/**
 * Windows split a stage's events into groups that `reduce` folds and emits
 * separately, rather than once at the end of the input.
 *
 * - `Window.global()` (the default): one window, emitted when the input ends.
 * - `Window.count(n)`: every `n` events a stage receives.
 * - `Window.periodic(ms)`: by processing time; each stage emits what it has
 *   every `ms`.
 * - `Window.fixed(ms, eventTime, { allowedLateness })`: by event time;
 *   window `k` holds events whose time is in `[k·ms, (k+1)·ms)`. A stage's
 *   watermark is the latest event time it has seen minus `allowedLateness`.
 *   A window is emitted once the watermark passes its end. An event for a
 *   window already emitted is late: it is dropped and counted.
 *
 * `.triggerEvery(n)` also emits a window's accumulator every `n` events,
 * `.triggerPeriodically(ms)` every `ms` of processing time, and
 * `.triggerWhen(test)` whenever `test(acc, event)` holds after an event,
 * all without closing it.
 *
 * Every window from the first one a stage opens to the last is emitted
 * exactly once, with the reducer's initial value if it received no event
 * (a count window left empty at the end, a gap between event-time windows,
 * an empty periodic tick), as in Elixir's Flow.
 *
 * This module describes windows; window-clock.ts assigns events to them.
 */
import { SluiceError } from '../errors.ts';

/** The description of a window; immutable, built with {@link Window}. */
export interface WindowSpec {
  readonly kind: 'global' | 'count' | 'periodic' | 'fixed';
  /** count: events per window; periodic and fixed: window length in ms. */
  readonly size: number;
  readonly eventTime: ((event: unknown) => number) | undefined;
  readonly allowedLateness: number;
  /** Also emit a window's accumulator every this many events (0: never). */
  readonly every: number;
  /** Also emit every open window's accumulator every this many ms (0: never). */
  readonly interval: number;
  /** Also emit a window's accumulator when this holds after an event. */
  readonly when: ((acc: unknown, event: unknown) => boolean) | undefined;
}

/** Why an accumulator is being emitted. */
export type TriggerKind =
  'done' | 'count' | 'periodic' | 'watermark' | 'every' | 'periodically' | 'custom';

/** What `onTrigger` is told about an emission. */
export interface TriggerInfo {
  /** The window's key: 0 for global, the window index for count and periodic, its start (ms) for fixed. */
  readonly window: number;
  /** Why it is emitted: `done` (input ended), a window closing (`count`, `periodic`, `watermark`) or an early trigger. */
  readonly trigger: TriggerKind;
  /** The emitting stage's index within its layer. */
  readonly partition: number;
  /** How many stages its layer has. */
  readonly partitions: number;
}

/** Whether a trigger closes its window (its accumulator is then dropped) or keeps it open. */
export function closes(trigger: TriggerKind): boolean {
  return trigger !== 'every' && trigger !== 'periodically' && trigger !== 'custom';
}

class Spec implements WindowSpec {
  readonly kind: WindowSpec['kind'];
  readonly size: number;
  readonly eventTime: WindowSpec['eventTime'];
  readonly allowedLateness: number;
  readonly every: number;
  readonly interval: number;
  readonly when: WindowSpec['when'];

  constructor(spec: WindowSpec) {
    this.kind = spec.kind;
    this.size = spec.size;
    this.eventTime = spec.eventTime;
    this.allowedLateness = spec.allowedLateness;
    this.every = spec.every;
    this.interval = spec.interval;
    this.when = spec.when;
  }

  /** Also emits each window's accumulator every `n` events it receives, keeping the window open. */
  triggerEvery(n: number): WindowSpec & Spec {
    positive(n, 'triggerEvery');
    return new Spec({ ...this, every: n });
  }

  /** Also emits every open window's accumulator every `ms` of processing time, keeping them open. */
  triggerPeriodically(ms: number): WindowSpec & Spec {
    positive(ms, 'triggerPeriodically');
    return new Spec({ ...this, interval: ms });
  }

  /**
   * Also emits a window's accumulator, keeping the window open, whenever
   * `test(acc, event)` returns true after `event` was folded into it.
   */
  triggerWhen<A, T>(test: (acc: A, event: T) => boolean): WindowSpec & Spec {
    if (typeof test !== 'function') {
      throw new SluiceError(
        'ERR_INVALID_OPTIONS',
        `Window.triggerWhen: expected a function, got ${typeof test}`,
      );
    }
    return new Spec({ ...this, when: test as (acc: unknown, event: unknown) => boolean });
  }
}

function positive(n: number, what: string): void {
  if (!Number.isInteger(n) || n <= 0) {
    throw new SluiceError(
      'ERR_INVALID_OPTIONS',
      `Window.${what}: expected a positive integer, got ${String(n)}`,
    );
  }
}

const base = { eventTime: undefined, allowedLateness: 0, every: 0, interval: 0, when: undefined };

/** Window constructors. */
export const Window = {
  /** One window for the whole input, emitted when it ends (the default). */
  global: (): Spec => new Spec({ kind: 'global', size: 0, ...base }),
  /** A window every `n` events a stage receives; the one open when the input ends is emitted then, even if empty. */
  count: (n: number): Spec => {
    positive(n, 'count');
    return new Spec({ kind: 'count', size: n, ...base });
  },
  /** A window every `ms` of processing time, emitted at each tick (with `init()` if it had no event). */
  periodic: (ms: number): Spec => {
    positive(ms, 'periodic');
    return new Spec({ kind: 'periodic', size: ms, ...base });
  },
  /**
   * Event-time windows of `ms`: window `k` holds events whose
   * `eventTime(e)` is in `[k·ms, (k+1)·ms)`. A window closes once the
   * stage's watermark (lowest across its upstream stages of the latest
   * event time minus `allowedLateness`) passes its end; later events for it
   * are dropped.
   */
  fixed: <T>(
    ms: number,
    eventTime: (event: T) => number,
    options: { allowedLateness?: number } = {},
  ): Spec => {
    positive(ms, 'fixed');
    const lateness = options.allowedLateness ?? 0;
    if (!Number.isFinite(lateness) || lateness < 0) {
      throw new SluiceError(
        'ERR_INVALID_OPTIONS',
        `Window.fixed: allowedLateness: expected a non-negative number, got ${String(lateness)}`,
      );
    }
    return new Spec({
      kind: 'fixed',
      size: ms,
      eventTime: eventTime as (event: unknown) => number,
      allowedLateness: lateness,
      every: 0,
      interval: 0,
      when: undefined,
    });
  },
};
