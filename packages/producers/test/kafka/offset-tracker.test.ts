import { describe, expect, it } from 'vitest';
import { OffsetTracker } from '../../src/kafka/offset-tracker.ts';

function tracker(offsets: readonly number[]): OffsetTracker {
  const t = new OffsetTracker('orders', 0, 1);
  for (const o of offsets) t.register(o);
  return t;
}

describe('OffsetTracker', () => {
  it('has nothing to commit before any fetch', () => {
    const t = new OffsetTracker('orders', 0, 1);
    expect(t.committable).toBeUndefined();
    expect(t.needsCommit).toBe(false);
  });

  it.each([
    { name: 'in order', registered: [0, 1, 2, 3], acks: [0, 1, 2, 3], commit: 4 },
    { name: 'out of order, all done', registered: [0, 1, 2, 3], acks: [3, 1, 2, 0], commit: 4 },
    { name: 'a hole at the front', registered: [0, 1, 2, 3], acks: [1, 2, 3], commit: 0 },
    { name: 'a hole in the middle', registered: [10, 11, 12, 13], acks: [10, 11, 13], commit: 12 },
    { name: 'gaps in offsets (compaction)', registered: [5, 7, 9], acks: [5, 7], commit: 9 },
    { name: 'gaps, all done', registered: [5, 7, 9], acks: [9, 5, 7], commit: 10 },
    { name: 'nothing acked yet', registered: [42, 43], acks: [], commit: 42 },
  ])('commits only the contiguous acked prefix: $name', ({ registered, acks, commit }) => {
    const t = tracker(registered);
    for (const a of acks) expect(t.ack(a)).toBe(true);
    expect(t.committable).toBe(commit);
    expect(t.pending).toBe(registered.length - acks.length);
  });

  it('refuses acks of unknown or already-acked offsets', () => {
    const t = tracker([1, 2]);
    expect(t.ack(3)).toBe(false);
    expect(t.ack(1)).toBe(true);
    expect(t.ack(1)).toBe(false);
    expect(t.committable).toBe(2);
  });

  it('skips offsets already registered, as a refetch after a rebalance delivers them again', () => {
    const t = tracker([0, 1, 2]);
    expect(t.register(1)).toBe(false);
    expect(t.register(2)).toBe(false);
    expect(t.register(3)).toBe(true);
    expect(t.lastRegistered).toBe(3);
  });

  it('needs a commit only when the prefix moved past the last commit', () => {
    const t = tracker([0, 1, 2]);
    t.ack(0);
    expect(t.needsCommit).toBe(true);
    t.markCommitted(1);
    expect(t.needsCommit).toBe(false);
    t.ack(2);
    expect(t.needsCommit).toBe(false); // 1 still in flight: the commit point stays at 1
    t.ack(1);
    expect(t.committable).toBe(3);
    expect(t.needsCommit).toBe(true);
  });

  it('drops every ack and registration once revoked (a late ack of an older generation)', () => {
    const t = tracker([0, 1, 2]);
    t.ack(0);
    t.close();
    expect(t.closed).toBe(true);
    expect(t.ack(1)).toBe(false);
    expect(t.register(3)).toBe(false);
    expect(t.committable).toBe(1);
  });

  it('keeps its acks across a generation change for a partition it keeps', () => {
    const t = tracker([0, 1, 2]);
    t.ack(1);
    t.generation = 2;
    t.ack(0);
    expect(t.committable).toBe(2);
  });

  it('stays correct over many out-of-order acks (compaction of its arrays)', () => {
    const t = new OffsetTracker('orders', 0, 1);
    const n = 10_000;
    for (let i = 0; i < n; i++) t.register(i);
    // ack in blocks of 100, each block in reverse order
    for (let b = 0; b < n; b += 100) {
      for (let i = b + 99; i >= b; i--) t.ack(i);
      expect(t.committable).toBe(b + 100);
    }
    expect(t.pending).toBe(0);
  });
});
