import { describe, expect, it } from 'vitest';
import { Coalescer, chunk } from '../../src/internal/coalescer.ts';

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe('Coalescer', () => {
  it('holds fewer than a chunk until flushed', () => {
    const c = new Coalescer<number>(10);
    expect(c.add([1, 2, 3])).toEqual([]);
    expect(c.add([4])).toEqual([]);
    expect(c.pending).toBe(4);
    expect(c.flush()).toEqual([[1, 2, 3, 4]]);
    expect(c.pending).toBe(0);
  });

  it('hands back every full chunk at once, across adds, in order', () => {
    const c = new Coalescer<number>(10);
    expect(c.add(range(0, 6))).toEqual([]);
    expect(c.add(range(6, 27))).toEqual([range(0, 10), range(10, 20)]);
    expect(c.pending).toBe(7);
    expect(c.flush()).toEqual([range(20, 27)]);
  });

  it('flushes large remainders in chunks', () => {
    const c = new Coalescer<number>(3);
    c.add([]);
    expect(c.flush()).toEqual([]);
  });
});

describe('chunk', () => {
  it.each([
    [0, []],
    [3, [[0, 1, 2]]],
    [10, [range(0, 10)]],
    [23, [range(0, 10), range(10, 20), range(20, 23)]],
  ])('splits %i items into chunks of 10', (n, expected) => {
    expect(chunk(range(0, n), 10)).toEqual(expected);
  });
});
