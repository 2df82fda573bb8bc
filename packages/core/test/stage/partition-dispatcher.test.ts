import { describe, expect, it } from 'vitest';
import { PartitionDispatcher } from '../../src/stage/partition-dispatcher.ts';
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
