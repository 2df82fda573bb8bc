import { describe, expect, it } from 'vitest';
import { InFlightTracker } from '../../src/sqs/in-flight-tracker.ts';

const handles = (entries: { receiptHandle: string }[]) => entries.map((e) => e.receiptHandle);

describe('InFlightTracker', () => {
  it('makes a message due once less than the lead is left of its visibility', () => {
    const t = new InFlightTracker(10_000, 5000);
    t.track('a', 'm-a', 0);
    t.track('b', 'm-b', 2000);
    expect(handles(t.due(4999))).toEqual([]);
    expect(handles(t.due(5000))).toEqual(['a']);
    expect(handles(t.due(7000))).toEqual(['b']);
  });

  it('does not hand out a message again while its extension is in flight', () => {
    const t = new InFlightTracker(10_000, 5000);
    t.track('a', 'm-a', 0);
    expect(handles(t.due(6000))).toEqual(['a']);
    expect(handles(t.due(7000))).toEqual([]);
  });

  it('moves the deadline on from the time of the extension', () => {
    const t = new InFlightTracker(10_000, 5000);
    t.track('a', 'm-a', 0);
    t.due(6000);
    t.extended(['a'], 6000);
    expect(handles(t.due(10_999))).toEqual([]);
    expect(handles(t.due(11_000))).toEqual(['a']);
  });

  it('offers a message again on the next tick after a failed extension', () => {
    const t = new InFlightTracker(10_000, 5000);
    t.track('a', 'm-a', 0);
    t.due(6000);
    t.failed(['a']);
    expect(handles(t.due(6500))).toEqual(['a']);
  });

  it('forgets acked messages, even when their extension returns later', () => {
    const t = new InFlightTracker(10_000, 5000);
    t.track('a', 'm-a', 0);
    t.due(6000);
    t.untrack('a');
    t.extended(['a'], 6000);
    expect(t.size).toBe(0);
    expect(t.has('a')).toBe(false);
    expect(t.due(100_000)).toEqual([]);
  });
});
