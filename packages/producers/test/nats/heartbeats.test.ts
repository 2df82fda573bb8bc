import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Heartbeats } from '../../src/nats/heartbeats.ts';
import { fakeMessage } from './fake-nats.ts';

describe('Heartbeats', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('sends working() for each held message every half of ackWait, until released', () => {
    const beats: number[] = [];
    const h = new Heartbeats(10_000, true, (n) => beats.push(n));
    const a = fakeMessage('a');
    const b = fakeMessage('b');
    h.hold(a);
    h.hold(b);
    vi.advanceTimersByTime(4999);
    expect(a.calls).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(a.calls).toEqual(['working']);
    expect(b.calls).toEqual(['working']);
    h.release(a);
    vi.advanceTimersByTime(5000);
    expect(a.calls).toEqual(['working']);
    expect(b.calls).toEqual(['working', 'working']);
    expect(beats).toEqual([2, 1]);
    h.release(b);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('holds nothing when turned off', () => {
    const h = new Heartbeats(10_000, false);
    const a = fakeMessage('a');
    h.hold(a);
    vi.advanceTimersByTime(60_000);
    expect(a.calls).toEqual([]);
    expect(h.size).toBe(0);
  });

  it('stop() forgets every message and the timer', () => {
    const h = new Heartbeats(2000, true);
    h.hold(fakeMessage('a'));
    h.stop();
    expect(h.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});
