/**
 * A stage's reduce, window by window: it folds events into each window's
 * accumulator and emits accumulators when windows close or triggers fire.
 * The stage (layer-stage.ts) feeds it events and timer ticks.
 */
import { SluiceError } from '../errors.ts';
import type { Reducer, TriggerResult } from './plan.ts';
import { WindowClock, type Closing } from './window-clock.ts';
import { closes, type TriggerInfo, type TriggerKind, type WindowSpec } from './window.ts';

export class LayerReducer {
  readonly #reducer: Reducer;
  readonly #spec: WindowSpec;
  readonly #clock: WindowClock;
  readonly #partition: number;
  readonly #partitions: number;
  /** Open windows' accumulators, and how many events each has had (for triggerEvery). */
  readonly #accs = new Map<number, unknown>();
  readonly #counts = new Map<number, number>();

  constructor(
    reducer: Reducer,
    spec: WindowSpec,
    upstreams: number,
    partition: number,
    partitions: number,
  ) {
    this.#reducer = reducer;
    this.#spec = spec;
    this.#clock = new WindowClock(spec, upstreams);
    this.#partition = partition;
    this.#partitions = partitions;
  }

  /** Folds `events` from upstream `from`; returns what to emit. */
  fold(events: readonly unknown[], from: unknown): unknown[] {
    const out: unknown[] = [];
    const { every, when } = this.#spec;
    for (const e of events) {
      const window = this.#clock.assign(e, from);
      if (window === undefined) continue; // late: its window was already emitted
      const acc = this.#reducer.step(e, this.#acc(window), out);
      this.#accs.set(window, acc);
      if (every > 0) {
        const n = (this.#counts.get(window) ?? 0) + 1;
        this.#counts.set(window, n);
        if (n % every === 0) this.#emit(window, 'every', out);
      }
      if (when?.(this.#accs.get(window), e) === true) this.#emit(window, 'custom', out);
      this.#emitAll(this.#clock.afterEvent(), out);
    }
    return out;
  }

  /** A periodic window's tick: its current window closes. */
  tick(): unknown[] {
    return this.#emitAll([this.#clock.tick()], []);
  }

  /** A `triggerPeriodically` tick: every open window's accumulator, keeping them open. */
  triggerOpen(): unknown[] {
    const out: unknown[] = [];
    for (const window of this.#clock.open()) this.#emit(window, 'periodically', out);
    return out;
  }

  /** The input ended: every open window, oldest first. */
  finish(): unknown[] {
    return this.#emitAll(this.#clock.finish(), []);
  }

  #acc(window: number): unknown {
    return this.#accs.has(window) ? this.#accs.get(window) : this.#reducer.init();
  }

  #emitAll(closing: readonly Closing[], out: unknown[]): unknown[] {
    for (const c of closing) this.#emit(c.window, c.trigger, out);
    return out;
  }

  /** Emits `window`'s accumulator; a closing trigger drops it, another keeps the one returned. */
  #emit(window: number, trigger: TriggerKind, out: unknown[]): void {
    const acc = this.#acc(window);
    const info: TriggerInfo = {
      window,
      trigger,
      partition: this.#partition,
      partitions: this.#partitions,
    };
    const { events, next } = this.#trigger(acc, info);
    for (const e of events) out.push(e);
    if (closes(trigger)) {
      this.#accs.delete(window);
      this.#counts.delete(window);
    } else {
      this.#accs.set(window, next);
    }
  }

  #trigger(acc: unknown, info: TriggerInfo): { events: Iterable<unknown>; next: unknown } {
    const r = this.#reducer;
    if (r.onTrigger !== undefined) return triggered(r.onTrigger(acc, info), acc);
    if (r.emit === 'state') return { events: [acc], next: acc };
    if (!isIterable(acc)) {
      throw new SluiceError(
        'ERR_BAD_RETURN',
        "Flow.reduce: the accumulator is not iterable, so it cannot be emitted as events; use .emit('state')",
      );
    }
    return { events: [...acc], next: acc };
  }
}

/** What an `onTrigger` returned, as events and the next accumulator (`acc` unless it gave one). */
export function triggered(
  result: TriggerResult<unknown, unknown>,
  acc: unknown,
): { events: Iterable<unknown>; next: unknown } {
  if (isIterable(result)) return { events: result, next: acc };
  if (typeof result === 'object' && result !== null && 'events' in result) {
    return { events: result.events, next: result.acc };
  }
  throw new SluiceError(
    'ERR_BAD_RETURN',
    'Flow.onTrigger: expected an iterable of events or { events, acc }',
  );
}

function isIterable(value: unknown): value is Iterable<unknown> {
  return (
    value !== null &&
    value !== undefined &&
    typeof (value as Iterable<unknown>)[Symbol.iterator] === 'function'
  );
}
