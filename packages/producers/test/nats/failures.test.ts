import { describe, expect, it } from 'vitest';
import {
  deadLetterHeaders,
  describeReason,
  failureAction,
  FAILURE_REASON_HEADER,
} from '../../src/nats/failures.ts';
import { ReconnectPolicy } from '../../src/nats/reconnect.ts';
import { atLeast } from '../../src/nats/nats-client.ts';

const backoff = { initial: 100, max: 1000 };

describe('failureAction', () => {
  it('naks with the doubling delay while handlings are left', () => {
    expect([1, 2, 3, 4].map((n) => failureAction(n, 10, backoff))).toEqual([
      { kind: 'nak', delayMs: 100 },
      { kind: 'nak', delayMs: 200 },
      { kind: 'nak', delayMs: 400 },
      { kind: 'nak', delayMs: 800 },
    ]);
    expect(failureAction(9, 10, backoff)).toEqual({ kind: 'nak', delayMs: 1000 });
  });

  it('gives up once maxAttempts handlings are spent (the first counts)', () => {
    expect(failureAction(3, 3, backoff)).toEqual({ kind: 'give-up' });
    expect(failureAction(7, 3, backoff)).toEqual({ kind: 'give-up' });
    expect(failureAction(1, 1, backoff)).toEqual({ kind: 'give-up' });
  });
});

describe('dead-letter headers', () => {
  it('keep the original headers and add the reason and the source', () => {
    const headers = deadLetterHeaders(
      { 'x-tenant': ['a'] },
      { subject: 'orders.eu', streamSequence: 42, deliveryCount: 3 },
      new TypeError('bad\norder'),
    );
    expect(headers).toEqual({
      'x-tenant': ['a'],
      [FAILURE_REASON_HEADER]: ['TypeError: bad order'],
      'sluice-source-subject': ['orders.eu'],
      'sluice-source-sequence': ['42'],
      'sluice-delivery-count': ['3'],
    });
  });

  it('describe any reason in one bounded line', () => {
    expect(describeReason('')).toBe('failed');
    expect(describeReason({ code: 7 })).toBe('{ code: 7 }');
    expect(describeReason('x'.repeat(5000))).toHaveLength(1024);
  });
});

describe('ReconnectPolicy', () => {
  it('grows the jittered pause with each attempt and starts over once reconnected', () => {
    const policy = new ReconnectPolicy({ initial: 100, max: 1000 }, () => 0.999_999);
    expect([1, 2, 3, 4, 5].map(() => policy.nextDelay())).toEqual([100, 200, 400, 800, 1000]);
    policy.reconnected();
    expect(policy.nextDelay()).toBe(100);
    const low = new ReconnectPolicy({ initial: 100, max: 1000 }, () => 0);
    expect(low.nextDelay()).toBe(50);
  });
});

describe('atLeast', () => {
  it('compares server versions', () => {
    expect(atLeast('2.9.10', [2, 10, 4])).toBe(false);
    expect(atLeast('2.10.4', [2, 10, 4])).toBe(true);
    expect(atLeast('2.11.0-beta', [2, 10, 4])).toBe(true);
  });
});
