import { describe, expect, it } from 'vitest';
import { jitteredDelay, retryDelay } from '../../src/internal/retry.ts';

const backoff = { initial: 100, max: 10_000 };

describe('retryDelay', () => {
  it('doubles from initial after each failed attempt', () => {
    expect([1, 2, 3, 4].map((n) => retryDelay(n, backoff))).toEqual([100, 200, 400, 800]);
  });

  it('never exceeds max, however many attempts failed', () => {
    expect(retryDelay(8, backoff)).toBe(10_000);
    expect(retryDelay(1_000_000, backoff)).toBe(10_000);
  });

  it('treats 0 or fewer attempts as the first', () => {
    expect(retryDelay(0, backoff)).toBe(100);
  });
});

describe('jitteredDelay', () => {
  it('spreads the delay over its upper half', () => {
    expect(jitteredDelay(3, backoff, () => 0)).toBe(200);
    expect(jitteredDelay(3, backoff, () => 0.5)).toBe(300);
    expect(jitteredDelay(3, backoff, () => 0.999_999)).toBe(400);
  });

  it('never exceeds max', () => {
    expect(jitteredDelay(40, backoff, () => 0.999_999)).toBe(10_000);
  });
});
