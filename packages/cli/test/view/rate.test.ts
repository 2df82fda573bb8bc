import { describe, expect, it } from 'vitest';
import { LatencyWindow, RateMeter } from '../../src/view/index.ts';

describe('RateMeter', () => {
  it('starts at the first interval and moves 63% of the way to a new rate in one time constant', () => {
    const meter = new RateMeter(3);
    meter.sample(0, 0);
    expect(meter.sample(250, 250)).toBe(1000); // 1,000/s
    // The rate drops to 0 for 3 s (12 ticks of 250 ms): 1000 × e^-1.
    let rate = 0;
    for (let t = 500; t <= 3250; t += 250) rate = meter.sample(t, 250);
    expect(rate).toBeCloseTo(1000 * Math.exp(-1), 6);
  });

  it('does not jump with one uneven tick', () => {
    const meter = new RateMeter(3);
    let total = 0;
    meter.sample(0, total);
    for (let t = 250; t <= 5000; t += 250) meter.sample(t, (total += 250));
    // One tick with twice the messages (a burst): the instant rate is
    // 2,000/s, the smoothed one moves by 8% of the difference.
    const after = meter.sample(5250, (total += 500));
    expect(after).toBeGreaterThan(1000);
    expect(after).toBeLessThan(1100);
  });

  it('gives the same value for the same elapsed time whatever the tick', () => {
    const coarse = new RateMeter(3);
    const fine = new RateMeter(3);
    coarse.sample(0, 0);
    fine.sample(0, 0);
    coarse.sample(100, 100);
    fine.sample(100, 100);
    coarse.sample(2100, 100);
    for (let t = 200; t <= 2100; t += 100) fine.sample(t, 100);
    expect(fine.perSecond).toBeCloseTo(coarse.perSecond, 9);
  });
});

describe('LatencyWindow', () => {
  it('reports p50 and p99 of the recent durations only', () => {
    const window = new LatencyWindow(100);
    expect(window.summary()).toBeUndefined();
    for (let i = 1; i <= 100; i++) window.record(1000); // pushed out below
    for (let i = 1; i <= 100; i++) window.record(i);
    expect(window.summary()).toEqual({ p50: 50, p99: 99, samples: 100 });
  });
});
