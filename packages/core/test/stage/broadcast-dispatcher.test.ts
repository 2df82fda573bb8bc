import { describe, expect, it } from 'vitest';
import { BroadcastDispatcher } from '../../src/stage/broadcast-dispatcher.ts';
import { recorder } from './recorder.ts';

describe('BroadcastDispatcher', () => {
  it('asks upstream for the minimum demand across consumers', () => {
    const d = new BroadcastDispatcher<number, string>();
    const r = recorder<number, string>();
    d.subscribe('a', {});
    d.subscribe('b', {});
    expect(d.ask('a', 10, r.target)).toBe(0); // b has not asked yet
    expect(d.ask('b', 4, r.target)).toBe(4);
    expect(d.ask('b', 10, r.target)).toBe(6); // a: 6 left, b: 10 → min 6
  });

  it('sends every event to every consumer', () => {
    const d = new BroadcastDispatcher<number, string>();
    const r = recorder<number, string>();
    d.subscribe('a', {});
    d.subscribe('b', {});
    d.ask('a', 2, r.target);
    d.ask('b', 2, r.target);
    expect(d.dispatch([1, 2, 3], r.target)).toEqual([3]);
    expect(r.delivered).toEqual([
      ['a', [1, 2]],
      ['b', [1, 2]],
    ]);
  });

  it('filters with a selector, and re-asks the rejected events on the consumer’s behalf', () => {
    const d = new BroadcastDispatcher<number, string>();
    const r = recorder<number, string>();
    d.subscribe('even', { selector: (n: number) => n % 2 === 0 });
    d.subscribe('all', {});
    d.ask('even', 4, r.target);
    d.ask('all', 4, r.target);
    d.dispatch([1, 2, 3, 4], r.target);
    expect(r.delivered).toEqual([
      ['even', [2, 4]],
      ['all', [1, 2, 3, 4]],
    ]);
    // 'even' rejected 1 and 3: the stage asks them again for it
    expect(r.reasked).toEqual([['even', 2]]);
    expect(d.ask('even', 2, r.target)).toBe(0); // 'all' has no demand left
    expect(d.ask('all', 2, r.target)).toBe(2);
  });

  it('releases demand when the slowest consumer cancels', () => {
    const d = new BroadcastDispatcher<number, string>();
    const r = recorder<number, string>();
    d.subscribe('fast', {});
    d.subscribe('slow', {});
    d.ask('fast', 10, r.target);
    expect(d.cancel('slow')).toBe(10);
  });

  it('refuses a second subscription from the same consumer', () => {
    const d = new BroadcastDispatcher<number, string>();
    const consumer = {};
    d.subscribe('s1', { consumer });
    expect(() => d.subscribe('s2', { consumer })).toThrow(/already subscribed/);
  });

  it('gives a late subscriber in-flight events only within its own demand', () => {
    const d = new BroadcastDispatcher<number, string>();
    const r = recorder<number, string>();
    d.subscribe('early', {});
    expect(d.ask('early', 3, r.target)).toBe(3);
    d.subscribe('late', {});
    expect(d.ask('late', 1, r.target)).toBe(0); // served from the 3 on the way
    expect(d.dispatch([1, 2, 3], r.target)).toEqual([2, 3]);
    expect(r.delivered).toEqual([
      ['early', [1]],
      ['late', [1]],
    ]);
  });

  it('never sends a consumer more than it asked for', () => {
    const d = new BroadcastDispatcher<number, string>();
    const r = recorder<number, string>();
    d.subscribe('a', {});
    d.ask('a', 5, r.target);
    d.subscribe('b', {});
    // b asked for nothing yet: the events wait (as leftovers) for it
    expect(d.dispatch([1, 2, 3, 4, 5], r.target)).toEqual([1, 2, 3, 4, 5]);
    expect(r.delivered).toEqual([]);
    expect(d.ask('b', 5, r.target)).toBe(0);
    expect(d.dispatch([1, 2, 3, 4, 5], r.target)).toEqual([]);
    expect(r.delivered).toEqual([
      ['a', [1, 2, 3, 4, 5]],
      ['b', [1, 2, 3, 4, 5]],
    ]);
  });

  it('holds events nobody asked for', () => {
    const d = new BroadcastDispatcher<number, string>();
    const r = recorder<number, string>();
    d.subscribe('a', {});
    expect(d.dispatch([1], r.target)).toEqual([1]);
    expect(r.delivered).toEqual([]);
  });
});
