import diagnostics from 'node:diagnostics_channel';
import { silentLogger, type BacklogSample, type PrepareContext } from '@sluice/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { partitionLag, pollKafkaBacklog } from '../../src/kafka/backlog.ts';
import type { KafkaGroupPartitionOffsets, KafkaMetadataClient } from '../../src/kafka/index.ts';

afterEach(() => void vi.useRealTimers());

const offsets = (
  partition: number,
  low: number,
  high: number,
  committed: number | null,
): KafkaGroupPartitionOffsets => ({
  partition,
  low: String(low),
  high: String(high),
  committed: committed === null ? null : String(committed),
});

describe('partitionLag', () => {
  it('is the end offset minus the committed offset', () => {
    expect(partitionLag(offsets(0, 0, 100, 40), false)).toBe(60);
    expect(partitionLag(offsets(0, 0, 100, 100), false)).toBe(0);
  });

  it('counts from the earliest offset when the log was truncated past the commit', () => {
    expect(partitionLag(offsets(0, 70, 100, 40), false)).toBe(30);
  });

  it('without a commit: the whole log from the beginning, else nothing', () => {
    expect(partitionLag(offsets(0, 10, 100, null), true)).toBe(90);
    expect(partitionLag(offsets(0, 10, 100, null), false)).toBe(0);
  });
});

describe('pollKafkaBacklog', () => {
  it('polls the group offsets only while backlog is wanted, and closes the admin client on stop', async () => {
    vi.useFakeTimers();
    let wanted = false;
    const reported: BacklogSample[] = [];
    const calls: string[] = [];
    const admin: KafkaMetadataClient = {
      listTopics: () => Promise.resolve([]),
      fetchGroupOffsets: (groupId, topic) => {
        calls.push(`${groupId} ${topic}`);
        return Promise.resolve([offsets(0, 0, 100, 40), offsets(1, 0, 7, null)]);
      },
      close: () => Promise.resolve(void calls.push('close')),
    };
    let opened = 0;
    const context = {
      pipeline: 'events',
      concurrency: 1,
      logger: silentLogger,
      backlog: { wanted: () => wanted, report: (s: BacklogSample) => void reported.push(s) },
    } as unknown as PrepareContext;
    const stop = pollKafkaBacklog(context, {
      openAdmin: () => (opened++, Promise.resolve(admin)),
      groupId: 'g',
      topics: ['orders'],
      fromBeginning: true,
      timeoutMs: 1000,
      intervalMs: 1000,
    });
    await vi.advanceTimersByTimeAsync(3000);
    expect(opened).toBe(0);
    expect(calls).toEqual([]);
    wanted = true;
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls).toEqual(['g orders']);
    expect(reported.map((s) => [s.broker, s.destination, s.partition, s.waiting])).toEqual([
      ['kafka', 'orders', 0, 60],
      ['kafka', 'orders', 1, 7],
    ]);
    wanted = false;
    await vi.advanceTimersByTimeAsync(3000);
    expect(calls).toEqual(['g orders']);
    stop();
    await vi.advanceTimersByTimeAsync(0);
    expect(opened).toBe(1);
    expect(calls).toEqual(['g orders', 'close']);
    expect(diagnostics.channel('sluice:kafka:lag').hasSubscribers).toBe(false);
  });

  it('reconnects after a failed poll', async () => {
    vi.useFakeTimers();
    let fail = true;
    const closed: number[] = [];
    let opened = 0;
    const open = (): Promise<KafkaMetadataClient> => {
      const n = ++opened;
      return Promise.resolve({
        listTopics: () => Promise.resolve([]),
        fetchGroupOffsets: () =>
          fail ? Promise.reject(new Error('gone')) : Promise.resolve([offsets(0, 0, 5, 5)]),
        close: () => Promise.resolve(void closed.push(n)),
      });
    };
    const reported: BacklogSample[] = [];
    const context = {
      pipeline: 'events',
      logger: silentLogger,
      backlog: { wanted: () => true, report: (s: BacklogSample) => void reported.push(s) },
    } as unknown as PrepareContext;
    const stop = pollKafkaBacklog(context, {
      openAdmin: open,
      groupId: 'g',
      topics: ['orders'],
      fromBeginning: false,
      timeoutMs: 1000,
      intervalMs: 1000,
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(closed).toEqual([1]);
    fail = false;
    await vi.advanceTimersByTimeAsync(1000);
    expect(opened).toBe(2);
    expect(reported.map((s) => s.waiting)).toEqual([0]);
    stop();
    await vi.advanceTimersByTimeAsync(0);
    expect(closed).toEqual([1, 2]);
  });
});
