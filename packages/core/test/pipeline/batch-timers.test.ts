import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Batch } from '../../src/pipeline/batches.ts';
import { BatchTimers } from '../../src/pipeline/batch-timers.ts';

const batch = (key: string): Batch => ({
  batchKey: key,
  partition: undefined,
  messages: [],
  acc: undefined,
  flush: false,
  open: true,
  timer: undefined,
});

describe('BatchTimers', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('expires a batch once its timeout has passed since it opened', () => {
    const expired: string[] = [];
    const timers = new BatchTimers(1000, (b) => expired.push(b.batchKey as string));
    timers.start(batch('a'));
    vi.advanceTimersByTime(999);
    expect(expired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(expired).toEqual(['a']);
  });

  it('never expires a batch that was stopped, and restarts its timer for the next batch', () => {
    const expired: string[] = [];
    const timers = new BatchTimers(1000, (b) => expired.push(b.batchKey as string));
    const first = batch('first');
    timers.start(first);
    vi.advanceTimersByTime(600);
    timers.stop(first);
    timers.start(batch('second'));
    // The reused timer counts from when the second batch opened.
    vi.advanceTimersByTime(999);
    expect(expired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(expired).toEqual(['second']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('reuses a timer that already ran out with no batch', () => {
    const expired: string[] = [];
    const timers = new BatchTimers(100, (b) => expired.push(b.batchKey as string));
    const first = batch('first');
    timers.start(first);
    timers.stop(first);
    vi.advanceTimersByTime(500);
    expect(expired).toEqual([]);
    timers.start(batch('later'));
    vi.advanceTimersByTime(100);
    expect(expired).toEqual(['later']);
  });

  it('keeps at most 16 spare timers and clears every timer on clear()', () => {
    const timers = new BatchTimers(1000, () => undefined);
    const open = Array.from({ length: 20 }, (_, i) => batch(String(i)));
    for (const b of open) timers.start(b);
    expect(timers.size).toBe(20);
    for (const b of open) timers.stop(b);
    expect(timers.size).toBe(0);
    expect(vi.getTimerCount()).toBe(16);
    timers.start(batch('x'));
    timers.clear();
    expect(vi.getTimerCount()).toBe(0);
  });
});
