/**
 * Subscription options are validated at every subscribe; a frozen options
 * object, which cannot change, is validated once and its result reused.
 */
import { describe, expect, it } from 'vitest';
import { resolveSubscriptionOptions } from '../../src/stage/options.ts';

describe('resolveSubscriptionOptions', () => {
  it('fills in the defaults', () => {
    expect(resolveSubscriptionOptions({ maxDemand: 10 })).toEqual({
      maxDemand: 10,
      minDemand: 5,
      cancel: 'permanent',
    });
  });

  it('resolves a frozen object once: the same frozen result every time', () => {
    const input = Object.freeze({ maxDemand: 10, cancel: 'temporary' as const });
    const first = resolveSubscriptionOptions(input);
    expect(first).toEqual({ maxDemand: 10, minDemand: 5, cancel: 'temporary' });
    expect(Object.isFrozen(first)).toBe(true);
    expect(resolveSubscriptionOptions(input)).toBe(first);
  });

  it('resolves an object that may have changed again, each time', () => {
    const input: { maxDemand: number } = { maxDemand: 10 };
    const first = resolveSubscriptionOptions(input);
    input.maxDemand = 20;
    const second = resolveSubscriptionOptions(input);
    expect(second).not.toBe(first);
    expect(second).toEqual({ maxDemand: 20, minDemand: 10, cancel: 'permanent' });
  });

  it('rejects a bad frozen object every time it is given', () => {
    const input = Object.freeze({ maxDemand: 10, minDemand: 10 });
    for (let i = 0; i < 2; i++) {
      expect(() => resolveSubscriptionOptions(input)).toThrow(
        /minDemand: expected less than maxDemand \(10\)/,
      );
    }
  });
});
