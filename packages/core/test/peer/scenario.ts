/**
 * Helpers for the GenStage dispatcher suites. GenStage's tests compare a
 * dispatcher's whole state tuple; Sluice's dispatchers keep theirs private.
 * A {@link Scenario} records every step it runs, so a probe can replay those
 * steps on a fresh dispatcher and read the state through the contract alone
 * (what `ask` returns, what `dispatch` leaves over), without disturbing the
 * dispatcher the test goes on with.
 */
import type { DispatchTarget } from '../../src/stage/dispatcher.ts';
import { recorder } from '../stage/recorder.ts';

export type Recording<T, S> = ReturnType<typeof recorder<T, S>>;

/** A dispatcher under test, with the steps run on it so far. */
export class Scenario<D, T, S> {
  readonly dispatcher: D;
  /** What the live dispatcher delivered, re-asked, reported and warned. */
  readonly rec: Recording<T, S>;
  readonly #make: () => D;
  readonly #steps: ((d: D, target: DispatchTarget<T, S>) => unknown)[] = [];

  constructor(make: () => D) {
    this.#make = make;
    this.dispatcher = make();
    this.rec = recorder<T, S>();
  }

  /** Runs `step` on the live dispatcher and keeps it for replays. */
  step<R>(step: (d: D, target: DispatchTarget<T, S>) => R): R {
    this.#steps.push(step);
    return step(this.dispatcher, this.rec.target);
  }

  /** Replays every step on a fresh dispatcher, then runs `probe` on that copy. */
  probe<R>(probe: (d: D, rec: Recording<T, S>) => R): R {
    const d = this.#make();
    const rec = recorder<T, S>();
    for (const step of this.#steps) step(d, rec.target);
    return probe(d, rec);
  }

  /** Deliveries to `subscription` on the live dispatcher, in order. */
  deliveredTo(subscription: S): T[][] {
    return this.rec.delivered.filter(([s]) => s === subscription).map(([, events]) => events);
  }
}

/** `n` distinct events: 0 .. n-1. */
export function many(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** Larger than any demand in the suites. */
export const BIG = 100_000;
