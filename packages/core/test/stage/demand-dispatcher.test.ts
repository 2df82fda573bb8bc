import { describe, expect, it } from 'vitest';
import { DemandDispatcher } from '../../src/stage/demand-dispatcher.ts';
import { recorder } from './recorder.ts';

describe('DemandDispatcher', () => {
  it('sends events to the consumer with the most demand first', () => {
    const d = new DemandDispatcher<number, string>();
    const r = recorder<number, string>();
    d.subscribe('a');
    d.subscribe('b');
    expect(d.ask('a', 3, r.target)).toBe(3);
    expect(d.ask('b', 5, r.target)).toBe(5);
    expect(d.dispatch([1, 2, 3, 4, 5, 6], r.target)).toEqual([]);
    // b (5) first: 5 events, then a (3): 1 event
    expect(r.delivered).toEqual([
      ['b', [1, 2, 3, 4, 5]],
      ['a', [6]],
    ]);
  });

  it('serves consumers with equal demand in subscription order', () => {
    const d = new DemandDispatcher<number, string>();
    const r = recorder<number, string>();
    d.subscribe('a');
    d.subscribe('b');
    d.ask('a', 2, r.target);
    d.ask('b', 2, r.target);
    d.dispatch([1, 2, 3], r.target);
    expect(r.delivered).toEqual([
      ['a', [1, 2]],
      ['b', [3]],
    ]);
  });

  it('returns the events nobody asked for as leftovers', () => {
    const d = new DemandDispatcher<number, string>();
    const r = recorder<number, string>();
    d.subscribe('a');
    d.ask('a', 2, r.target);
    expect(d.dispatch([1, 2, 3, 4], r.target)).toEqual([3, 4]);
    expect(d.dispatch([5], r.target)).toEqual([5]);
  });

  it("remembers a cancelled consumer's unmet demand so upstream is not asked twice", () => {
    const d = new DemandDispatcher<number, string>();
    const r = recorder<number, string>();
    d.subscribe('a');
    d.subscribe('b');
    d.ask('a', 10, r.target);
    d.cancel('a');
    // b asks 10: the 10 already asked for a are still coming
    expect(d.ask('b', 10, r.target)).toBe(0);
    expect(d.ask('b', 4, r.target)).toBe(4);
  });

  it('warns once when a consumer asks more than the expected maximum', () => {
    const d = new DemandDispatcher<number, string>();
    const r = recorder<number, string>();
    d.subscribe('a');
    d.subscribe('b');
    d.ask('a', 10, r.target);
    d.ask('b', 100, r.target);
    d.ask('b', 100, r.target);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/greedy consumers/);
  });

  it('shuffles demands before the first dispatch when asked to', () => {
    const d = new DemandDispatcher<number, string>({
      shuffleDemandsOnFirstDispatch: true,
      random: () => 0,
    });
    const r = recorder<number, string>();
    d.subscribe('a');
    d.subscribe('b');
    d.ask('a', 1, r.target);
    d.ask('b', 1, r.target);
    d.dispatch([1, 2], r.target);
    // random() = 0 swaps the two, so b goes first
    expect(r.delivered.map(([s]) => s)).toEqual(['b', 'a']);
  });

  it('rejects unknown options, naming them', () => {
    expect(() => new DemandDispatcher({ shuffle: true } as never)).toThrow(
      /shuffle: unknown option, got true/,
    );
    expect(() => new DemandDispatcher({ maxDemand: 0 })).toThrow(/maxDemand/);
  });
});
