/**
 * GenStage's demand_dispatcher_test.exs, translated to Sluice's dispatcher
 * contract: `subscribe`, `cancel` and `ask` return the upstream demand,
 * `dispatch` returns the leftovers, deliveries and warnings go through a
 * recording DispatchTarget. Subscriptions are strings; GenStage's `{pid, ref}`
 * pairs only name them.
 *
 * GenStage compares the state tuple `{demands, pending, max, shuffle}`;
 * {@link expectState} reads the same through the contract on a replayed copy:
 * `demands` (order and counts) from the deliveries of a large dispatch after
 * every subscription asked 1 more, `pending` from what a fresh subscriber's
 * ask returns, `max` from when an ask warns. Every dispatcher here gets a
 * `random` that throws, so a state with the shuffle flag off is checked on
 * every dispatch: any shuffle would fail the test.
 *
 * Skipped: nothing. OTP mechanics (the `{:"$gen_consumer", ...}` messages,
 * `:error_logger`) become the recording target's deliveries and warnings.
 */
import { describe, expect, it } from 'vitest';
import { DemandDispatcher } from '../../src/stage/demand-dispatcher.ts';
import { BIG, Scenario, many } from './scenario.ts';

type D = DemandDispatcher<unknown, string>;
type Sc = Scenario<D, unknown, string>;

const noShuffle = (): number => {
  throw new Error('the dispatcher shuffled');
};

function scenario(options: { maxDemand?: number } = {}): Sc {
  return new Scenario(
    () => new DemandDispatcher<unknown, string>({ ...options, random: noShuffle }),
  );
}

interface State {
  /** GenStage's demands list: [subscription, demand], highest first. */
  demands: [string, number][];
  pending: number;
  max: number | undefined;
}

function demandsOf(sc: Sc, subs: string[]): [string, number][] {
  return sc.probe((d, rec) => {
    for (const s of subs) d.ask(s, 1, rec.target);
    const from = rec.delivered.length;
    d.dispatch(many(BIG), rec.target);
    return rec.delivered.slice(from).map(([s, events]): [string, number] => [s, events.length - 1]);
  });
}

function pendingOf(sc: Sc): number {
  return sc.probe((d, rec) => {
    d.subscribe('probe');
    return BIG - d.ask('probe', BIG, rec.target);
  });
}

function warnsOn(sc: Sc, ...asks: number[]): boolean {
  return sc.probe((d, rec) => {
    const before = rec.warnings.length;
    d.subscribe('probe');
    for (const n of asks) d.ask('probe', n, rec.target);
    return rec.warnings.length > before;
  });
}

function expectState(sc: Sc, subs: string[], expected: State): void {
  expect(demandsOf(sc, subs)).toEqual(expected.demands);
  expect(pendingOf(sc)).toBe(expected.pending);
  if (expected.max === undefined) {
    // No maximum yet: any first ask is accepted and becomes it.
    expect(warnsOn(sc, BIG)).toBe(false);
    expect(warnsOn(sc, 1, 2)).toBe(true);
  } else {
    expect(warnsOn(sc, expected.max)).toBe(false);
    expect(warnsOn(sc, expected.max + 1)).toBe(true);
  }
}

describe('GenStage demand_dispatcher_test.exs', () => {
  // gen_stage demand_dispatcher_test.exs: "subscribes and cancels"
  it('subscribes and cancels', () => {
    const sc = scenario();
    expect(sc.step((d) => d.subscribe('ref'))).toBe(0);
    expectState(sc, ['ref'], { demands: [['ref', 0]], pending: 0, max: undefined });
    expect(sc.step((d) => d.cancel('ref'))).toBe(0);
    expectState(sc, ['ref'], { demands: [], pending: 0, max: undefined });
  });

  // gen_stage demand_dispatcher_test.exs: "subscribes, asks and cancels"
  it('subscribes, asks and cancels', () => {
    const sc = scenario();
    // Subscribe, ask, and cancel with demand left
    expect(sc.step((d) => d.subscribe('ref'))).toBe(0);
    expectState(sc, ['ref'], { demands: [['ref', 0]], pending: 0, max: undefined });
    expect(sc.step((d, t) => d.ask('ref', 10, t))).toBe(10);
    expectState(sc, ['ref'], { demands: [['ref', 10]], pending: 0, max: 10 });
    expect(sc.step((d) => d.cancel('ref'))).toBe(0);
    expectState(sc, ['ref'], { demands: [], pending: 10, max: 10 });

    // Subscribe, ask and cancel again: the same demand is left
    expect(sc.step((d) => d.subscribe('ref'))).toBe(0);
    expectState(sc, ['ref'], { demands: [['ref', 0]], pending: 10, max: 10 });
    expect(sc.step((d, t) => d.ask('ref', 5, t))).toBe(0);
    expectState(sc, ['ref'], { demands: [['ref', 5]], pending: 5, max: 10 });
    expect(sc.step((d) => d.cancel('ref'))).toBe(0);
    expectState(sc, ['ref'], { demands: [], pending: 10, max: 10 });

    // Dispatch with no consumer: all left over, and taken off pending
    expect(sc.step((d, t) => d.dispatch(['a', 'b', 'c'], t))).toEqual(['a', 'b', 'c']);
    expectState(sc, ['ref'], { demands: [], pending: 7, max: 10 });
    sc.step((d, t) => d.dispatch(many(10), t));
    expectState(sc, ['ref'], { demands: [], pending: 0, max: 10 });
  });

  // gen_stage demand_dispatcher_test.exs: "subscribes twice, asks twice and cancel one"
  it('subscribes twice, asks twice and cancel one', () => {
    const sc = scenario();
    const subs = ['ref1', 'ref2'];
    expect(sc.step((d) => d.subscribe('ref1'))).toBe(0);
    expect(sc.step((d, t) => d.ask('ref1', 3, t))).toBe(3);
    expect(sc.step((d) => d.subscribe('ref2'))).toBe(0);
    expect(sc.step((d, t) => d.ask('ref2', 3, t))).toBe(3);
    expectState(sc, subs, {
      demands: [
        ['ref1', 3],
        ['ref2', 3],
      ],
      pending: 0,
      max: 3,
    });

    // Cancel one with demand left
    expect(sc.step((d) => d.cancel('ref1'))).toBe(0);
    expectState(sc, subs, { demands: [['ref2', 3]], pending: 3, max: 3 });

    // Events for both: the leftovers are taken off pending
    expect(sc.step((d, t) => d.dispatch(['a', 'b', 'c', 'd', 'e'], t))).toEqual(['d', 'e']);
    expectState(sc, subs, { demands: [['ref2', 0]], pending: 1, max: 3 });
  });

  // gen_stage demand_dispatcher_test.exs: "subscribes, asks and dispatches"
  it('subscribes, asks and dispatches', () => {
    const sc = scenario();
    expect(sc.step((d) => d.subscribe('ref'))).toBe(0);
    expect(sc.step((d, t) => d.ask('ref', 3, t))).toBe(3);
    expectState(sc, ['ref'], { demands: [['ref', 3]], pending: 0, max: 3 });

    expect(sc.step((d, t) => d.dispatch(['a'], t))).toEqual([]);
    expectState(sc, ['ref'], { demands: [['ref', 2]], pending: 0, max: 3 });
    expect(sc.deliveredTo('ref')).toEqual([['a']]);

    expect(sc.step((d, t) => d.ask('ref', 3, t))).toBe(3);
    expectState(sc, ['ref'], { demands: [['ref', 5]], pending: 0, max: 3 });

    const events = ['b', 'c', 'd', 'e', 'f', 'g', 'h'];
    expect(sc.step((d, t) => d.dispatch(events, t))).toEqual(['g', 'h']);
    expectState(sc, ['ref'], { demands: [['ref', 0]], pending: 0, max: 3 });
    expect(sc.deliveredTo('ref')).toEqual([['a'], ['b', 'c', 'd', 'e', 'f']]);

    expect(sc.step((d, t) => d.dispatch(['i', 'j'], t))).toEqual(['i', 'j']);
    expectState(sc, ['ref'], { demands: [['ref', 0]], pending: 0, max: 3 });
    expect(sc.rec.delivered).toHaveLength(2);
  });

  // gen_stage demand_dispatcher_test.exs: "subscribes, asks multiple consumers"
  it('subscribes, asks multiple consumers', () => {
    const sc = scenario();
    const subs = ['ref1', 'ref2', 'ref3'];
    for (const s of subs) expect(sc.step((d) => d.subscribe(s))).toBe(0);

    expect(sc.step((d, t) => d.ask('ref1', 4, t))).toBe(4);
    expect(sc.step((d, t) => d.ask('ref2', 2, t))).toBe(2);
    expect(sc.step((d, t) => d.ask('ref3', 3, t))).toBe(3);
    expectState(sc, subs, {
      demands: [
        ['ref1', 4],
        ['ref3', 3],
        ['ref2', 2],
      ],
      pending: 0,
      max: 4,
    });

    expect(sc.step((d, t) => d.ask('ref3', 2, t))).toBe(2);
    expectState(sc, subs, {
      demands: [
        ['ref3', 5],
        ['ref1', 4],
        ['ref2', 2],
      ],
      pending: 0,
      max: 4,
    });

    expect(sc.step((d, t) => d.ask('ref2', 4, t))).toBe(4);
    expectState(sc, subs, {
      demands: [
        ['ref2', 6],
        ['ref3', 5],
        ['ref1', 4],
      ],
      pending: 0,
      max: 4,
    });
  });

  // gen_stage demand_dispatcher_test.exs: "subscribes, asks and dispatches to multiple consumers"
  it('subscribes, asks and dispatches to multiple consumers', () => {
    const sc = scenario();
    const subs = ['ref1', 'ref2'];
    expect(sc.step((d) => d.subscribe('ref1'))).toBe(0);
    expect(sc.step((d) => d.subscribe('ref2'))).toBe(0);

    expect(sc.step((d, t) => d.ask('ref1', 3, t))).toBe(3);
    expect(sc.step((d, t) => d.ask('ref2', 2, t))).toBe(2);
    expectState(sc, subs, {
      demands: [
        ['ref1', 3],
        ['ref2', 2],
      ],
      pending: 0,
      max: 3,
    });

    // One batch fits all
    expect(sc.step((d, t) => d.dispatch(['a', 'b', 'c', 'd', 'e'], t))).toEqual([]);
    expect(sc.deliveredTo('ref1')).toEqual([['a', 'b', 'c']]);
    expect(sc.deliveredTo('ref2')).toEqual([['d', 'e']]);

    expect(sc.step((d, t) => d.dispatch(['a', 'b', 'c'], t))).toEqual(['a', 'b', 'c']);
    expectState(sc, subs, {
      demands: [
        ['ref1', 0],
        ['ref2', 0],
      ],
      pending: 0,
      max: 3,
    });
    expect(sc.rec.delivered).toHaveLength(2);

    // Two batches with leftovers
    expect(sc.step((d, t) => d.ask('ref1', 3, t))).toBe(3);
    expect(sc.step((d, t) => d.ask('ref2', 3, t))).toBe(3);
    expectState(sc, subs, {
      demands: [
        ['ref1', 3],
        ['ref2', 3],
      ],
      pending: 0,
      max: 3,
    });

    expect(sc.step((d, t) => d.dispatch(['a', 'b'], t))).toEqual([]);
    expectState(sc, subs, {
      demands: [
        ['ref2', 3],
        ['ref1', 1],
      ],
      pending: 0,
      max: 3,
    });
    expect(sc.rec.delivered.at(-1)).toEqual(['ref1', ['a', 'b']]);

    expect(sc.step((d, t) => d.dispatch(['c', 'd'], t))).toEqual([]);
    expectState(sc, subs, {
      demands: [
        ['ref1', 1],
        ['ref2', 1],
      ],
      pending: 0,
      max: 3,
    });
    expect(sc.rec.delivered.at(-1)).toEqual(['ref2', ['c', 'd']]);

    // The leftover goes
    expect(sc.step((d, t) => d.dispatch(['e', 'f', 'g'], t))).toEqual(['g']);
    expectState(sc, subs, {
      demands: [
        ['ref1', 0],
        ['ref2', 0],
      ],
      pending: 0,
      max: 3,
    });
    expect(sc.rec.delivered.slice(-2)).toEqual([
      ['ref1', ['e']],
      ['ref2', ['f']],
    ]);
  });

  // gen_stage demand_dispatcher_test.exs: "subscribes, asks and dispatches to multiple consumers with shuffled demands"
  // GenStage accepts either order; Sluice's injectable `random` lets both run.
  it.each([
    ['kept', 0.99],
    ['swapped', 0],
  ])(
    'subscribes, asks and dispatches to multiple consumers with shuffled demands (order %s)',
    (_, value) => {
      let calls = 0;
      const random = (): number => {
        calls++;
        return value;
      };
      const d = new DemandDispatcher<unknown, string>({
        shuffleDemandsOnFirstDispatch: true,
        random,
      });
      const sc = new Scenario<D, unknown, string>(() => d);
      expect(sc.step((x) => x.subscribe('ref1'))).toBe(0);
      expect(sc.step((x) => x.subscribe('ref2'))).toBe(0);
      expect(sc.step((x, t) => x.ask('ref1', 3, t))).toBe(3);
      expect(sc.step((x, t) => x.ask('ref2', 2, t))).toBe(2);
      expect(calls).toBe(0); // the shuffle waits for the first dispatch

      // Demands are shuffled at the first dispatch
      expect(sc.step((x, t) => x.dispatch(['a', 'b', 'c', 'd', 'e'], t))).toEqual([]);
      if (value > 0.5) {
        expect(sc.rec.delivered).toEqual([
          ['ref1', ['a', 'b', 'c']],
          ['ref2', ['d', 'e']],
        ]);
      } else {
        expect(sc.rec.delivered).toEqual([
          ['ref2', ['a', 'b']],
          ['ref1', ['c', 'd', 'e']],
        ]);
      }
      // ...and only then: the flag is off after the first dispatch
      const shuffles = calls;
      d.ask('ref1', 1, sc.rec.target);
      d.ask('ref2', 1, sc.rec.target);
      d.dispatch(['f', 'g'], sc.rec.target);
      expect(calls).toBe(shuffles);
    },
  );

  // gen_stage demand_dispatcher_test.exs: "delivers info to current process"
  it('delivers info to current process', () => {
    const sc = scenario();
    const subs = ['ref1', 'ref2'];
    expect(sc.step((d) => d.subscribe('ref1'))).toBe(0);
    expect(sc.step((d) => d.subscribe('ref2'))).toBe(0);
    expect(sc.step((d, t) => d.ask('ref1', 3, t))).toBe(3);
    const before = demandsOf(sc, subs);

    sc.step((d, t) => d.info('hello', t));
    expect(sc.rec.infos).toEqual(['hello']);
    // The state is unchanged
    expect(demandsOf(sc, subs)).toEqual(before);
    expect(pendingOf(sc)).toBe(0);
  });

  // gen_stage demand_dispatcher_test.exs: "warns on demand mismatch"
  it('warns on demand mismatch', () => {
    const sc = scenario({ maxDemand: 3 });
    expect(sc.step((d) => d.subscribe('ref1'))).toBe(0);
    expect(sc.step((d) => d.subscribe('ref2'))).toBe(0);
    expect(sc.step((d, t) => d.ask('ref2', 4, t))).toBe(4);
    expect(sc.rec.warnings).toHaveLength(1);
    expect(sc.rec.warnings[0]).toMatch(/DemandDispatcher expects a maximum demand of 3/);
  });
});
