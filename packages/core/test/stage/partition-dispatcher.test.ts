import { describe, expect, it } from 'vitest';
import { PartitionDispatcher, defaultHash } from '../../src/stage/partition-dispatcher.ts';
import { recorder } from './recorder.ts';

const byParity = { partitions: 2, hash: (n: number) => n % 2 };

describe('PartitionDispatcher', () => {
  it('routes each event to the consumer that owns its partition', () => {
    const d = new PartitionDispatcher<number, string>(byParity);
    const r = recorder<number, string>();
    d.subscribe('even', { partition: 0 });
    d.subscribe('odd', { partition: 1 });
    expect(d.ask('even', 5, r.target)).toBe(5);
    expect(d.ask('odd', 5, r.target)).toBe(5);
    expect(d.dispatch([1, 2, 3, 4], r.target)).toEqual([]);
    expect(r.delivered).toEqual([
      ['odd', [1, 3]],
      ['even', [2, 4]],
    ]);
  });

  it('queues events for a partition without demand, in order, until it asks', () => {
    const d = new PartitionDispatcher<number, string>(byParity);
    const r = recorder<number, string>();
    d.subscribe('even', { partition: 0 });
    d.subscribe('odd', { partition: 1 });
    d.ask('even', 4, r.target);
    d.dispatch([1, 3, 2], r.target); // odd has no demand: 1 and 3 wait
    expect(r.delivered).toEqual([['even', [2]]]);
    d.ask('odd', 1, r.target);
    d.ask('odd', 5, r.target);
    expect(r.delivered.slice(1)).toEqual([
      ['odd', [1]],
      ['odd', [3]],
    ]);
  });

  it('discards events whose hash returns none, and reports them', () => {
    const d = new PartitionDispatcher<number, string>({
      partitions: 1,
      hash: (n: number) => (n < 0 ? undefined : 0),
    });
    const r = recorder<number, string>();
    d.subscribe('only', { partition: 0 });
    d.ask('only', 3, r.target);
    d.dispatch([1, -1, 2], r.target);
    expect(r.delivered).toEqual([['only', [1, 2]]]);
    expect(r.discarded).toEqual([1]);
  });

  it('supports named partitions', () => {
    const d = new PartitionDispatcher<string, string>({
      partitions: ['a', 'b'],
      hash: (s: string) => s[0] ?? null,
    });
    const r = recorder<string, string>();
    d.subscribe('A', { partition: 'a' });
    d.subscribe('B', { partition: 'b' });
    d.ask('A', 1, r.target);
    d.ask('B', 1, r.target);
    d.dispatch(['bee', 'ant'], r.target);
    expect(r.delivered).toEqual([
      ['B', ['bee']],
      ['A', ['ant']],
    ]);
  });

  it('throws at once for an unknown or missing partition, naming the known ones', () => {
    const d = new PartitionDispatcher<number, string>(byParity);
    expect(() => d.validateSubscription({ partition: 7 })).toThrow(
      'invalid subscription options: partition: expected one of 0, 1, got 7',
    );
    expect(() => d.subscribe('x', {})).toThrow(/partition: required/);
  });

  it('allows one consumer per partition', () => {
    const d = new PartitionDispatcher<number, string>(byParity);
    d.subscribe('a', { partition: 0 });
    expect(() => d.subscribe('b', { partition: 0 })).toThrow(/already taken/);
  });

  it('keeps a cancelled partition queue for the next consumer of that partition', () => {
    const d = new PartitionDispatcher<number, string>(byParity);
    const r = recorder<number, string>();
    d.subscribe('even', { partition: 0 });
    d.subscribe('odd', { partition: 1 });
    d.ask('even', 2, r.target);
    d.dispatch([1, 2], r.target); // 1 queued for odd
    d.cancel('odd');
    d.subscribe('odd2', { partition: 1 });
    d.ask('odd2', 1, r.target);
    expect(r.delivered).toContainEqual(['odd2', [1]]);
  });

  it('throws when the hash returns an unknown partition', () => {
    const d = new PartitionDispatcher<number, string>({ partitions: 2, hash: () => 5 });
    const r = recorder<number, string>();
    d.subscribe('a', { partition: 0 });
    d.ask('a', 1, r.target);
    expect(() => d.dispatch([1], r.target)).toThrow(/unknown partition 5/);
  });

  it('delivers an info only after the partition queues that held events have flushed', () => {
    const d = new PartitionDispatcher<number, string>(byParity);
    const r = recorder<number, string>();
    d.subscribe('even', { partition: 0 });
    d.subscribe('odd', { partition: 1 });
    d.ask('even', 2, r.target);
    d.dispatch([1, 2], r.target); // 1 queued for odd
    d.info('done', r.target);
    expect(r.infos).toEqual([]);
    d.ask('odd', 1, r.target);
    expect(r.infos).toEqual(['done']);
  });

  it('rejects bad options, naming them', () => {
    expect(() => new PartitionDispatcher({ partitions: 0 })).toThrow(
      /partitions: expected a positive integer/,
    );
    expect(() => new PartitionDispatcher({ partitions: ['a'] })).toThrow(
      /hash: a hash function is required/,
    );
    expect(() => new PartitionDispatcher({ partitions: ['a', 'a'], hash: () => 'a' })).toThrow(
      /unique/,
    );
  });
});

describe('PartitionDispatcher, where Sluice differs from GenStage', () => {
  // docs/architecture.md: "Discarded events count for no partition; unlike
  // GenStage, which stalls once discarded events have used up the demand, the
  // producer is asked again for as many events as the hash discarded."
  it('asks upstream again for the events its hash discarded', () => {
    const d = new PartitionDispatcher<number, string>({
      partitions: 1,
      hash: (n: number) => (n % 3 === 0 ? undefined : 0),
    });
    const r = recorder<number, string>();
    d.subscribe('only', { partition: 0 });
    expect(d.ask('only', 4, r.target)).toBe(4);
    // Upstream sent the 4 it was asked for; 3 was discarded: 1 more is needed
    expect(d.dispatch([1, 2, 3, 4], r.target)).toEqual([]);
    expect(r.delivered).toEqual([['only', [1, 2, 4]]]);
    expect(r.reasked).toEqual([['only', 0]]);
    // The stage runs the re-ask as an ask of 0: it returns the missing one
    expect(d.ask('only', 0, r.target)).toBe(1);
    expect(d.ask('only', 0, r.target)).toBe(0);
    expect(d.dispatch([5], r.target)).toEqual([]);
    expect(r.delivered).toEqual([
      ['only', [1, 2, 4]],
      ['only', [5]],
    ]);
  });

  it('returns the re-ask with the next subscribe when no consumer was there to take it', () => {
    const d = new PartitionDispatcher<number, string>({
      partitions: 1,
      hash: (n: number) => (n % 3 === 0 ? undefined : 0),
    });
    const r = recorder<number, string>();
    d.subscribe('a', { partition: 0 });
    expect(d.ask('a', 4, r.target)).toBe(4);
    expect(d.cancel('a')).toBe(0);
    expect(d.dispatch([1, 2, 3, 4], r.target)).toEqual([]); // queued for partition 0
    expect(r.reasked).toEqual([]); // nobody to ask through
    expect(d.subscribe('b', { partition: 0 })).toBe(1);
  });
});

describe('defaultHash', () => {
  it('spreads strided integer keys over every partition, and is stable', () => {
    for (const stride of [2, 4, 10]) {
      const counts = [0, 0, 0, 0];
      for (let i = 0; i < 400; i++) (counts[defaultHash(i * stride) % 4] as number)++;
      for (const c of counts) expect(c).toBeGreaterThan(50);
    }
    expect(defaultHash(42)).toBe(defaultHash(42));
    expect(defaultHash(-1)).toBeGreaterThanOrEqual(0);
    expect(defaultHash('orders')).toBe(defaultHash('orders'));
  });
});
