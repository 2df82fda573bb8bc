import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { FastHistogram } from '../src/histogram.ts';

describe('FastHistogram', () => {
  it("exports exactly what prom-client's Histogram exports for the same observations", async () => {
    const buckets = [0.01, 0.1, 1];
    const theirs = new Registry();
    const ours = new Registry();
    const labelNames = ['pipeline', 'processor'] as const;
    const reference = new Histogram({
      name: 'h_seconds',
      help: 'h',
      labelNames,
      buckets,
      registers: [theirs],
    });
    const fast = new FastHistogram({
      name: 'h_seconds',
      help: 'h',
      labelNames,
      buckets,
      registry: ours,
    });
    const values = [0.001, 0.01, 0.05, 0.1, 0.5, 2, 30];
    for (const [p, v] of values.map((v, i) => [i % 2 === 0 ? 'a' : 'b', v] as const)) {
      reference.labels(p, 'default').observe(v);
      fast.labels(p, 'default').observe(v);
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(await ours.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON());
    theirs.resetMetrics();
    ours.resetMetrics();
    fast.labels('a', 'default').observe(0.2);
    reference.labels('a', 'default').observe(0.2);
    // prom-client forgets the series at reset; ours keeps them at zero.
    expect(await ours.metrics()).toContain('h_seconds_count{pipeline="b",processor="default"} 0');
    expect(await ours.metrics()).toContain('h_seconds_count{pipeline="a",processor="default"} 1');
  });
});
