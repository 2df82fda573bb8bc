/**
 * GenStage's broadcast_dispatcher_test.exs, translated to Sluice's dispatcher
 * contract: `subscribe`, `cancel` and `ask` return the upstream demand,
 * `dispatch` returns the leftovers; deliveries and re-asks go through a
 * recording DispatchTarget. Subscriptions are strings (GenStage's refs); a
 * test that needs two subscriptions from one process passes that process as
 * `consumer`.
 *
 * GenStage compares the state tuple `{demands, waiting, requested,
 * subscribed}`; {@link expectState} reads the same through the contract on a
 * replayed copy: `waiting` from what a large dispatch does not leave over,
 * `requested` from what a fresh subscriber's ask returns once it is alone,
 * each consumer's demand from how much `waiting` grows once the others have
 * cancelled, and membership from whether subscribing again is refused.
 * The order of GenStage's demands list carries no meaning and is not checked;
 * deliveries are checked per subscription, as `assert_receive` does.
 *
 * Skipped: nothing. OTP mechanics become the target: `{:"$gen_consumer", ...}`
 * messages are deliveries, `{:"$gen_producer", ..., {:ask, n}}` is `reask`,
 * `send(self(), msg)` is `info`. `spawn_forwarder` is not needed.
 */
import { describe, expect, it } from 'vitest';
import { BroadcastDispatcher } from '../../src/stage/broadcast-dispatcher.ts';
import { BIG, Scenario, many } from './scenario.ts';

type D = BroadcastDispatcher<unknown, string>;
type Sc = Scenario<D, unknown, string>;

function scenario(): Sc {
  return new Scenario(() => new BroadcastDispatcher<unknown, string>());
}

interface State {
  /** Each subscribed consumer's demand not yet counted in `waiting`. */
  demands: Record<string, number>;
  waiting: number;
  requested: number;
}

function waitingOf(sc: Sc, cancelFirst: string[] = []): number {
  return sc.probe((d, rec) => {
    for (const s of cancelFirst) d.cancel(s, rec.target);
    return BIG - d.dispatch(many(BIG), rec.target).length;
  });
}

function requestedOf(sc: Sc, subs: string[]): number {
  return sc.probe((d, rec) => {
    // A consumer with no demand blocks every sync while the others leave.
    d.subscribe('probe', {});
    for (const s of subs) d.cancel(s, rec.target);
    return BIG - d.ask('probe', BIG, rec.target);
  });
}

function isSubscribed(sc: Sc, sub: string): boolean {
  return sc.probe((d) => {
    try {
      d.subscribe(sub, {});
      return false;
    } catch (error) {
      expect((error as { code?: string }).code).toBe('ERR_ALREADY_SUBSCRIBED');
      return true;
    }
  });
}

function expectState(sc: Sc, all: string[], expected: State): void {
  const subscribed = Object.keys(expected.demands);
  for (const s of all) expect(isSubscribed(sc, s), s).toBe(subscribed.includes(s));
  const waiting = waitingOf(sc);
  expect(waiting).toBe(expected.waiting);
  for (const s of subscribed) {
    const others = subscribed.filter((o) => o !== s);
    expect(waitingOf(sc, others) - waiting, `demand of ${s}`).toBe(expected.demands[s]);
  }
  expect(requestedOf(sc, subscribed)).toBe(expected.requested);
}

describe('GenStage broadcast_dispatcher_test.exs', () => {
  // gen_stage broadcast_dispatcher_test.exs: "subscribes and cancels"
  it('subscribes and cancels', () => {
    const sc = scenario();
    expect(sc.step((d) => d.subscribe('ref', {}))).toBe(0);
    expectState(sc, ['ref'], { demands: { ref: 0 }, waiting: 0, requested: 0 });
    expect(sc.step((d, t) => d.cancel('ref', t))).toBe(0);
    expectState(sc, ['ref'], { demands: {}, waiting: 0, requested: 0 });
  });

  // gen_stage broadcast_dispatcher_test.exs: "subscribes, asks, and cancels"
  it('subscribes, asks, and cancels', () => {
    const sc = scenario();
    expect(sc.step((d) => d.subscribe('ref', {}))).toBe(0);
    expectState(sc, ['ref'], { demands: { ref: 0 }, waiting: 0, requested: 0 });
    expect(sc.step((d, t) => d.ask('ref', 10, t))).toBe(10);
    expectState(sc, ['ref'], { demands: { ref: 0 }, waiting: 10, requested: 10 });
    expect(sc.step((d, t) => d.cancel('ref', t))).toBe(0);
    expectState(sc, ['ref'], { demands: {}, waiting: 0, requested: 10 });

    // Dispatch with no consumers: everything is left over
    expect(sc.step((d, t) => d.dispatch([1, 2, 3], t))).toEqual([1, 2, 3]);
    expectState(sc, ['ref'], { demands: {}, waiting: 0, requested: 10 });
  });

  // gen_stage broadcast_dispatcher_test.exs: "multiple subscriptions with early demand"
  it('multiple subscriptions with early demand', () => {
    const sc = scenario();
    const all = ['ref1', 'ref2'];
    expect(sc.step((d) => d.subscribe('ref1', {}))).toBe(0);
    expectState(sc, all, { demands: { ref1: 0 }, waiting: 0, requested: 0 });
    expect(sc.step((d, t) => d.ask('ref1', 10, t))).toBe(10);
    expectState(sc, all, { demands: { ref1: 0 }, waiting: 10, requested: 10 });

    expect(sc.step((d) => d.subscribe('ref2', {}))).toBe(0);
    expectState(sc, all, { demands: { ref1: 10, ref2: 0 }, waiting: 0, requested: 10 });

    expect(sc.step((d, t) => d.cancel('ref1', t))).toBe(0);
    expectState(sc, all, { demands: { ref2: 0 }, waiting: 0, requested: 10 });

    // The 10 already asked for ref1 serve ref2's ask
    expect(sc.step((d, t) => d.ask('ref2', 10, t))).toBe(0);
    expectState(sc, all, { demands: { ref2: 0 }, waiting: 10, requested: 10 });
  });

  // gen_stage broadcast_dispatcher_test.exs: "multiple subscriptions with late demand"
  it('multiple subscriptions with late demand', () => {
    const sc = scenario();
    const all = ['ref1', 'ref2'];
    expect(sc.step((d) => d.subscribe('ref1', {}))).toBe(0);
    expectState(sc, all, { demands: { ref1: 0 }, waiting: 0, requested: 0 });
    expect(sc.step((d) => d.subscribe('ref2', {}))).toBe(0);
    expectState(sc, all, { demands: { ref1: 0, ref2: 0 }, waiting: 0, requested: 0 });

    expect(sc.step((d, t) => d.ask('ref1', 10, t))).toBe(0);
    expectState(sc, all, { demands: { ref1: 10, ref2: 0 }, waiting: 0, requested: 0 });

    // ref2 held ref1 back: cancelling it releases ref1's demand
    expect(sc.step((d, t) => d.cancel('ref2', t))).toBe(10);
    expectState(sc, all, { demands: { ref1: 0 }, waiting: 10, requested: 10 });

    expect(sc.step((d, t) => d.ask('ref1', 10, t))).toBe(10);
    expectState(sc, all, { demands: { ref1: 0 }, waiting: 20, requested: 20 });
  });

  // gen_stage broadcast_dispatcher_test.exs: "subscribes, asks and dispatches to multiple consumers"
  it('subscribes, asks and dispatches to multiple consumers', () => {
    const sc = scenario();
    const all = ['ref1', 'ref2', 'ref3'];
    expect(sc.step((d) => d.subscribe('ref1', {}))).toBe(0);
    expect(sc.step((d) => d.subscribe('ref2', {}))).toBe(0);
    expect(sc.step((d, t) => d.ask('ref1', 3, t))).toBe(0);
    expect(sc.step((d, t) => d.ask('ref2', 2, t))).toBe(2);
    expectState(sc, all, { demands: { ref1: 1, ref2: 0 }, waiting: 2, requested: 2 });

    // One batch fits all
    expect(sc.step((d, t) => d.dispatch(['a', 'b'], t))).toEqual([]);
    expectState(sc, all, { demands: { ref1: 1, ref2: 0 }, waiting: 0, requested: 0 });
    expect(sc.deliveredTo('ref1')).toEqual([['a', 'b']]);
    expect(sc.deliveredTo('ref2')).toEqual([['a', 'b']]);

    // A batch with a leftover
    expect(sc.step((d, t) => d.ask('ref2', 2, t))).toBe(1);
    expect(sc.step((d, t) => d.dispatch(['c', 'd'], t))).toEqual(['d']);
    expectState(sc, all, { demands: { ref1: 0, ref2: 1 }, waiting: 0, requested: 0 });
    expect(sc.deliveredTo('ref1')).toEqual([['a', 'b'], ['c']]);
    expect(sc.deliveredTo('ref2')).toEqual([['a', 'b'], ['c']]);

    // A batch with no demand
    const delivered = sc.rec.delivered.length;
    expect(sc.step((d, t) => d.dispatch(['d'], t))).toEqual(['d']);
    expectState(sc, all, { demands: { ref1: 0, ref2: 1 }, waiting: 0, requested: 0 });
    expect(sc.rec.delivered).toHaveLength(delivered);

    // A late subscriber
    expect(sc.step((d, t) => d.ask('ref1', 1, t))).toBe(1);
    expect(sc.step((d) => d.subscribe('ref3', {}))).toBe(0);
    expect(sc.step((d, t) => d.dispatch(['d', 'e'], t))).toEqual(['d', 'e']);
    expectState(sc, all, { demands: { ref1: 1, ref2: 1, ref3: 0 }, waiting: 0, requested: 1 });

    // Even out
    expect(sc.step((d, t) => d.ask('ref1', 2, t))).toBe(0);
    expect(sc.step((d, t) => d.ask('ref2', 2, t))).toBe(0);
    expect(sc.step((d, t) => d.ask('ref3', 3, t))).toBe(2);
    expect(sc.step((d, t) => d.dispatch(['d', 'e', 'f'], t))).toEqual([]);
    expectState(sc, all, { demands: { ref1: 0, ref2: 0, ref3: 0 }, waiting: 0, requested: 0 });
    expect(sc.deliveredTo('ref1').at(-1)).toEqual(['d', 'e', 'f']);
    expect(sc.deliveredTo('ref2').at(-1)).toEqual(['d', 'e', 'f']);
    expect(sc.deliveredTo('ref3')).toEqual([['d', 'e', 'f']]);
  });

  // gen_stage broadcast_dispatcher_test.exs: "subscribes, asks, dispatches, and repeats"
  it('subscribes, asks, dispatches, and repeats', () => {
    const sc = scenario();
    const all = ['ref1', 'ref2'];
    expect(sc.step((d) => d.subscribe('ref1', {}))).toBe(0);
    expectState(sc, all, { demands: { ref1: 0 }, waiting: 0, requested: 0 });
    expect(sc.step((d, t) => d.ask('ref1', 10, t))).toBe(10);
    expectState(sc, all, { demands: { ref1: 0 }, waiting: 10, requested: 10 });

    expect(sc.step((d, t) => d.dispatch(['a', 'b', 'c'], t))).toEqual([]);
    expectState(sc, all, { demands: { ref1: 0 }, waiting: 7, requested: 7 });
    expect(sc.deliveredTo('ref1')).toEqual([['a', 'b', 'c']]);

    expect(sc.step((d) => d.subscribe('ref2', {}))).toBe(0);
    expectState(sc, all, { demands: { ref1: 7, ref2: 0 }, waiting: 0, requested: 7 });

    expect(sc.step((d, t) => d.ask('ref2', 20, t))).toBe(0);
    expectState(sc, all, { demands: { ref1: 0, ref2: 13 }, waiting: 7, requested: 7 });

    const events = ['d', 'e', 'f', 'g', 'h', 'i', 'j'];
    expect(sc.step((d, t) => d.dispatch(events, t))).toEqual([]);
    expectState(sc, all, { demands: { ref1: 0, ref2: 13 }, waiting: 0, requested: 0 });
    expect(sc.deliveredTo('ref1').at(-1)).toEqual(events);
    expect(sc.deliveredTo('ref2')).toEqual([events]);
  });

  // gen_stage broadcast_dispatcher_test.exs: "subscribes, asks, cancels, and dispatcher reuses events for another subscriber"
  it('subscribes, asks, cancels, and dispatcher reuses events for another subscriber', () => {
    const sc = scenario();
    const all = ['ref1', 'ref2'];
    expect(sc.step((d) => d.subscribe('ref1', {}))).toBe(0);
    expectState(sc, all, { demands: { ref1: 0 }, waiting: 0, requested: 0 });
    expect(sc.step((d, t) => d.ask('ref1', 10, t))).toBe(10);
    expectState(sc, all, { demands: { ref1: 0 }, waiting: 10, requested: 10 });

    expect(sc.step((d, t) => d.cancel('ref1', t))).toBe(0);
    expectState(sc, all, { demands: {}, waiting: 0, requested: 10 });

    expect(sc.step((d) => d.subscribe('ref2', {}))).toBe(0);
    expectState(sc, all, { demands: { ref2: 0 }, waiting: 0, requested: 10 });

    expect(sc.step((d, t) => d.ask('ref2', 5, t))).toBe(0);
    expectState(sc, all, { demands: { ref2: 0 }, waiting: 5, requested: 10 });

    expect(sc.step((d, t) => d.dispatch(['a', 'b', 'c'], t))).toEqual([]);
    expectState(sc, all, { demands: { ref2: 0 }, waiting: 2, requested: 7 });
    expect(sc.deliveredTo('ref2')).toEqual([['a', 'b', 'c']]);
  });

  // gen_stage broadcast_dispatcher_test.exs: "cancels blocking subscriber while there is already a requested demand"
  it('cancels blocking subscriber while there is already a requested demand', () => {
    const sc = scenario();
    const all = ['ref1', 'ref2'];
    expect(sc.step((d) => d.subscribe('ref1', {}))).toBe(0);
    expectState(sc, all, { demands: { ref1: 0 }, waiting: 0, requested: 0 });
    expect(sc.step((d, t) => d.ask('ref1', 10, t))).toBe(10);
    expectState(sc, all, { demands: { ref1: 0 }, waiting: 10, requested: 10 });

    expect(sc.step((d) => d.subscribe('ref2', {}))).toBe(0);
    expectState(sc, all, { demands: { ref1: 10, ref2: 0 }, waiting: 0, requested: 10 });

    expect(sc.step((d, t) => d.ask('ref1', 5, t))).toBe(0);
    expectState(sc, all, { demands: { ref1: 15, ref2: 0 }, waiting: 0, requested: 10 });

    expect(sc.step((d, t) => d.cancel('ref2', t))).toBe(5);
    expectState(sc, all, { demands: { ref1: 0 }, waiting: 15, requested: 15 });
  });

  // gen_stage broadcast_dispatcher_test.exs: "subscribing with a selector function"
  it('subscribing with a selector function', () => {
    const sc = scenario();
    const all = ['ref1', 'ref2'];
    const key = (e: unknown): string => (e as { key: string }).key;
    const selector1 = (e: unknown): boolean => key(e).startsWith('pre');
    const selector2 = (e: unknown): boolean => key(e).startsWith('pref');

    expect(sc.step((d) => d.subscribe('ref1', { selector: selector1 }))).toBe(0);
    expect(sc.step((d) => d.subscribe('ref2', { selector: selector2 }))).toBe(0);
    expectState(sc, all, { demands: { ref1: 0, ref2: 0 }, waiting: 0, requested: 0 });

    expect(sc.step((d, t) => d.ask('ref2', 4, t))).toBe(0);
    expect(sc.step((d, t) => d.ask('ref1', 4, t))).toBe(4);

    const events = [
      { key: 'pref-1234' },
      { key: 'pref-5678' },
      { key: 'pre0000' },
      { key: 'foo0000' },
    ];
    expect(sc.step((d, t) => d.dispatch(events, t))).toEqual([]);

    // The rejected events are asked again on each consumer's behalf
    expect(sc.rec.reasked).toContainEqual(['ref1', 1]);
    expect(sc.rec.reasked).toContainEqual(['ref2', 2]);
    expect(sc.rec.reasked).toHaveLength(2);
    expect(sc.deliveredTo('ref1')).toEqual([[events[0], events[1], events[2]]]);
    expect(sc.deliveredTo('ref2')).toEqual([[events[0], events[1]]]);
  });

  // gen_stage broadcast_dispatcher_test.exs: "delivers info to current process"
  it('delivers info to current process', () => {
    const sc = scenario();
    const all = ['ref1', 'ref2'];
    expect(sc.step((d) => d.subscribe('ref1', {}))).toBe(0);
    expect(sc.step((d) => d.subscribe('ref2', {}))).toBe(0);
    expect(sc.step((d, t) => d.ask('ref1', 3, t))).toBe(0);
    const state = { demands: { ref1: 3, ref2: 0 }, waiting: 0, requested: 0 };
    expectState(sc, all, state);

    sc.step((d, t) => d.info('hello', t));
    expect(sc.rec.infos).toEqual(['hello']);
    expectState(sc, all, state); // unchanged
  });

  // gen_stage broadcast_dispatcher_test.exs: "subscribing is idempotent"
  // GenStage logs and returns {:error, :already_subscribed}; in Sluice's
  // contract (stage/dispatcher.ts), subscribe "Throws a SluiceError if the
  // options are unusable", and the stage cancels that subscription with it.
  it('subscribing is idempotent', () => {
    const sc = scenario();
    const pid = {};
    expect(sc.step((d) => d.subscribe('ref1', { consumer: pid }))).toBe(0);

    expect(() => sc.dispatcher.subscribe('ref2', { consumer: pid })).toThrow(
      expect.objectContaining({
        code: 'ERR_ALREADY_SUBSCRIBED',
        message: expect.stringMatching(/already subscribed/) as unknown,
      }),
    );
    // Unchanged: only ref1, with no demand. Asking through ref2 does nothing.
    expectState(sc, ['ref1', 'ref2'], { demands: { ref1: 0 }, waiting: 0, requested: 0 });
    expect(sc.dispatcher.ask('ref2', 5, sc.rec.target)).toBe(0);
    expect(sc.dispatcher.ask('ref1', 5, sc.rec.target)).toBe(5);
  });
});
