import { describe, expect, it } from 'vitest';
import { PartitionQueue } from '../../src/kafka/partition-queue.ts';

function take(q: PartitionQueue<string>, max: number): string[] {
  const out: string[] = [];
  q.take(max, out);
  return out;
}

describe('PartitionQueue', () => {
  it('hands out a whole partition in order when its unit has no limit (ordering: partition)', () => {
    const q = new PartitionQueue<string>(Infinity);
    for (const m of ['a', 'b', 'c', 'd']) q.push('', m);
    expect(take(q, 3)).toEqual(['a', 'b', 'c']);
    expect(take(q, 3)).toEqual(['d']);
    expect(q.inFlight).toBe(4);
    expect(q.buffered).toBe(0);
  });

  it('sums the weight of what it buffers, through push, take and clear', () => {
    const q = new PartitionQueue<string>(Infinity, (m) => m.length);
    for (const m of ['a', 'bb', 'ccc']) q.push('', m);
    expect(q.bufferedWeight).toBe(6);
    take(q, 2);
    expect(q.bufferedWeight).toBe(3);
    q.push('', 'dddd');
    q.clear();
    expect(q.bufferedWeight).toBe(0);
  });

  it('keeps one message per key in flight, and different keys concurrent (ordering: key)', () => {
    const q = new PartitionQueue<string>(1);
    q.push('k1', 'k1-0');
    q.push('k1', 'k1-1');
    q.push('k2', 'k2-0');
    q.push('k3', 'k3-0');
    q.push('k2', 'k2-1');
    expect(take(q, 10)).toEqual(['k1-0', 'k2-0', 'k3-0']);
    expect(take(q, 10)).toEqual([]);
    q.done('k2');
    expect(take(q, 10)).toEqual(['k2-1']);
    q.done('k1');
    expect(take(q, 10)).toEqual(['k1-1']);
  });

  it('holds a unit back while its message is out (a retry or a halt keeps the key in order)', () => {
    const q = new PartitionQueue<string>(1);
    q.push('', 'm0');
    q.push('', 'm1');
    expect(take(q, 5)).toEqual(['m0']);
    // m0 failed and is being retried: nothing after it goes out
    expect(take(q, 5)).toEqual([]);
    q.done('');
    expect(take(q, 5)).toEqual(['m1']);
  });

  it('is fair across keys: a hot key does not starve the others', () => {
    const q = new PartitionQueue<string>(1);
    for (let i = 0; i < 5; i++) q.push('hot', `hot-${i}`);
    q.push('cold', 'cold-0');
    expect(take(q, 10)).toEqual(['hot-0', 'cold-0']);
  });

  it('drops buffered messages on revoke but keeps counting those in flight', () => {
    const q = new PartitionQueue<string>(1);
    q.push('a', 'a0');
    q.push('a', 'a1');
    q.push('b', 'b0');
    take(q, 1);
    expect(q.clear()).toBe(2);
    expect(q.buffered).toBe(0);
    expect(q.inFlight).toBe(1);
    expect(take(q, 10)).toEqual([]);
  });

  it('forgets units once they are empty, so many keys do not leak memory', () => {
    const q = new PartitionQueue<string>(1);
    for (let i = 0; i < 1000; i++) q.push(`k${i}`, `m${i}`);
    expect(take(q, 1000)).toHaveLength(1000);
    for (let i = 0; i < 1000; i++) q.done(`k${i}`);
    expect(q.units).toBe(0);
  });

  it('never takes more than asked', () => {
    const q = new PartitionQueue<string>(Infinity);
    for (let i = 0; i < 10; i++) q.push('', `m${i}`);
    expect(take(q, 0)).toEqual([]);
    expect(take(q, 4)).toHaveLength(4);
    expect(q.buffered).toBe(6);
  });
});
