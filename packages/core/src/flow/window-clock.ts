/**
 * One stage's window bookkeeping, pure: which window an event belongs to,
 * which windows close after it, and which are still open. It decides
 * nothing about accumulators; the reducer (reducer.ts) holds those.
 *
 * Global, count and periodic windows always have one current window, so it
 * is emitted even if it received nothing. Fixed windows open with their
 * first event; every window between the first and the last opened one is
 * emitted once, gaps included.
 */
import type { TriggerKind, WindowSpec } from './window.ts';

/** A window to emit, and why. */
export interface Closing {
  readonly window: number;
  readonly trigger: TriggerKind;
}

export class WindowClock {
  readonly #spec: WindowSpec;
  /** global, count and periodic: the current window. */
  #current = 0;
  /** count: events in the current window. */
  #seen = 0;
  /** fixed: started windows not yet emitted, and the last emitted start. */
  readonly #open = new Set<number>();
  #closedThrough = -Infinity;
  /** fixed: the latest event time (minus lateness) per upstream stage. */
  readonly #marks = new Map<unknown, number>();
  readonly #upstreams: number;
  /** Events dropped because their fixed window was already emitted. */
  late = 0;

  constructor(spec: WindowSpec, upstreams: number) {
    this.#spec = spec;
    this.#upstreams = upstreams;
  }

  /** The window of `event` (from upstream `from`), or undefined when it is late. */
  assign(event: unknown, from: unknown): number | undefined {
    const spec = this.#spec;
    if (spec.kind !== 'fixed') return this.#current;
    const time = (spec.eventTime as (e: unknown) => number)(event);
    const start = Math.floor(time / spec.size) * spec.size;
    if (start <= this.#closedThrough) {
      this.late++;
      return undefined;
    }
    this.#open.add(start);
    const mark = time - spec.allowedLateness;
    this.#marks.set(from, Math.max(this.#marks.get(from) ?? -Infinity, mark));
    return start;
  }

  /** After an event was folded: the windows that close now, in order. */
  afterEvent(): Closing[] {
    const spec = this.#spec;
    if (spec.kind === 'count') {
      if (++this.#seen < spec.size) return [];
      this.#seen = 0;
      return [{ window: this.#current++, trigger: 'count' }];
    }
    return spec.kind === 'fixed' ? this.#closeFixed() : [];
  }

  /** A periodic tick: the current window closes; the next one opens. */
  tick(): Closing {
    return { window: this.#current++, trigger: 'periodic' };
  }

  /** The open windows, oldest first (for periodic triggers and the end of input). */
  open(): number[] {
    if (this.#spec.kind !== 'fixed') return [this.#current];
    if (this.#open.size === 0) return [];
    return this.#range(this.#first(), Math.max(...this.#open));
  }

  /** The input ended: every open window, oldest first. */
  finish(): Closing[] {
    const out = this.open().map((window): Closing => ({ window, trigger: 'done' }));
    this.#open.clear();
    return out;
  }

  /**
   * Fixed windows whose end the watermark passed, gaps included. The
   * watermark is the lowest mark of the upstream stages: one that has sent
   * nothing yet holds every window open (until the input ends), so results
   * do not depend on which upstream is faster.
   */
  #closeFixed(): Closing[] {
    if (this.#marks.size < this.#upstreams) return [];
    if (this.#open.size === 0 && this.#closedThrough === -Infinity) return [];
    const size = this.#spec.size;
    const last = Math.floor((Math.min(...this.#marks.values()) - size) / size) * size;
    const first = this.#first();
    if (last < first) return [];
    const windows = this.#range(first, last);
    for (const w of windows) this.#open.delete(w);
    this.#closedThrough = last;
    return windows.map((window) => ({ window, trigger: 'watermark' }));
  }

  /** The oldest window not yet emitted: after the last emitted one, or the oldest opened. */
  #first(): number {
    return this.#closedThrough === -Infinity
      ? Math.min(...this.#open)
      : this.#closedThrough + this.#spec.size;
  }

  #range(from: number, to: number): number[] {
    const out: number[] = [];
    for (let w = from; w <= to; w += this.#spec.size) out.push(w);
    return out;
  }
}
