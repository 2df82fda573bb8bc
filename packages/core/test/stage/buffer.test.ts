import { describe, expect, it } from 'vitest';
import { EventBuffer } from '../../src/stage/buffer.ts';

describe('EventBuffer', () => {
  it('stores and takes events in order', () => {
    const b = new EventBuffer<number>(10, 'last');
    expect(b.store([1, 2, 3])).toBe(0);
    expect(b.take(2)).toEqual([1, 2]);
    expect(b.take(5)).toEqual([3]);
    expect(b.count).toBe(0);
  });

  it("drops the oldest events when full with keep 'last'", () => {
    const b = new EventBuffer<number>(3, 'last');
    expect(b.store([1, 2])).toBe(0);
    expect(b.store([3, 4, 5])).toBe(2);
    expect(b.take(10)).toEqual([3, 4, 5]);
  });

  it("keeps only the newest bufferSize events of a batch larger than the buffer with keep 'last'", () => {
    const b = new EventBuffer<number>(2, 'last');
    b.store([1]);
    expect(b.store([2, 3, 4, 5])).toBe(3);
    expect(b.take(10)).toEqual([4, 5]);
  });

  it("drops new arrivals when full with keep 'first'", () => {
    const b = new EventBuffer<number>(3, 'first');
    expect(b.store([1, 2])).toBe(0);
    expect(b.store([3, 4, 5])).toBe(2);
    expect(b.take(10)).toEqual([1, 2, 3]);
  });

  it('stores nothing with bufferSize 0', () => {
    const b = new EventBuffer<number>(0, 'last');
    expect(b.store([1, 2])).toBe(2);
    expect(b.count).toBe(0);
    const f = new EventBuffer<number>(0, 'first');
    expect(f.store([1, 2])).toBe(2);
  });

  it('never exceeds its size', () => {
    const b = new EventBuffer<number>(5, 'last');
    for (let i = 0; i < 20; i++) {
      b.store([i, i, i]);
      expect(b.count).toBeLessThanOrEqual(5);
    }
  });

  it('releases an info only after the events stored before it are taken', () => {
    const b = new EventBuffer<string>(10, 'last');
    b.store(['a', 'b']);
    b.storeInfo('stop');
    b.store(['c']);
    expect(b.hasReadyInfo()).toBe(false);
    expect(b.take(10)).toEqual(['a', 'b']); // stops at the info
    expect(b.takeReadyInfo()).toEqual({ info: 'stop' });
    expect(b.take(10)).toEqual(['c']);
  });

  it('never drops infos, even when the events in front of them are dropped', () => {
    const b = new EventBuffer<number>(2, 'last');
    b.store([1, 2]);
    b.storeInfo('i');
    b.store([3, 4]);
    expect(b.takeReadyInfo()).toEqual({ info: 'i' });
    expect(b.take(10)).toEqual([3, 4]);
  });

  it('restores events at the front, in order', () => {
    const b = new EventBuffer<number>(10, 'last');
    b.store([1, 2, 3, 4]);
    b.storeInfo('after-4');
    const taken = b.take(3);
    b.restore(taken.slice(1));
    expect(b.take(10)).toEqual([2, 3, 4]);
    expect(b.takeReadyInfo()).toEqual({ info: 'after-4' });
  });
});
