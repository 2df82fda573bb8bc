import { describe, expect, it } from 'vitest';
import { decide, failuresOf } from '../../src/rabbitmq/ack-policy.ts';
import { DeliveryTracker, type WireCommand } from '../../src/rabbitmq/delivery-tracker.ts';
import type { WireOp } from '../../src/rabbitmq/ack-policy.ts';

/** Delivers tags 1..n, applies `settle` as [tag, op] pairs, flushes. */
function run(n: number, settle: [number, WireOp][]): WireCommand[] {
  const t = new DeliveryTracker();
  for (let tag = 1; tag <= n; tag++) t.deliver(tag);
  for (const [tag, op] of settle) t.settle(tag, op);
  return t.flush();
}

const cmd = (op: WireOp, deliveryTag: number, count = 1): WireCommand => ({
  op,
  deliveryTag,
  multiple: count > 1,
  count,
});

describe('DeliveryTracker', () => {
  it.each<[string, number, [number, WireOp][], WireCommand[]]>([
    ['nothing decided: nothing sent', 3, [], []],
    ['one ack at the head: a single ack', 3, [[1, 'ack']], [cmd('ack', 1)]],
    [
      'contiguous acks from the head, in any order: one multiple ack',
      5,
      [
        [3, 'ack'],
        [1, 'ack'],
        [2, 'ack'],
      ],
      [cmd('ack', 3, 3)],
    ],
    [
      'acks behind an undecided delivery: one by one',
      4,
      [
        [2, 'ack'],
        [4, 'ack'],
      ],
      [cmd('ack', 2), cmd('ack', 4)],
    ],
    [
      'runs of different decisions at the head: one command per run',
      6,
      [
        [1, 'ack'],
        [2, 'ack'],
        [3, 'reject'],
        [4, 'reject'],
        [5, 'requeue'],
        [6, 'ack'],
      ],
      [cmd('ack', 2, 2), cmd('reject', 4, 2), cmd('requeue', 5), cmd('ack', 6)],
    ],
    [
      'a head run, then stragglers',
      5,
      [
        [1, 'ack'],
        [2, 'ack'],
        [4, 'reject'],
      ],
      [cmd('ack', 2, 2), cmd('reject', 4)],
    ],
  ])('%s', (_name, n, settle, expected) => {
    expect(run(n, settle)).toEqual(expected);
  });

  it('coalesces across flushes once the head is decided', () => {
    const t = new DeliveryTracker();
    for (let tag = 1; tag <= 5; tag++) t.deliver(tag);
    t.settle(2, 'ack');
    expect(t.flush()).toEqual([cmd('ack', 2)]);
    t.settle(1, 'ack');
    t.settle(3, 'ack');
    expect(t.flush()).toEqual([cmd('ack', 3, 2)]); // 2 is already settled; 1 and 3 are the head now
    expect(t.unsettled).toBe(2);
  });

  it('never settles a tag twice, nor an unknown one', () => {
    const t = new DeliveryTracker();
    t.deliver(1);
    expect(t.settle(1, 'ack')).toBe(true);
    expect(t.settle(1, 'reject')).toBe(false);
    expect(t.settle(9, 'ack')).toBe(false);
    expect(t.flush()).toEqual([cmd('ack', 1)]);
    expect(t.settle(1, 'ack')).toBe(false);
    expect(t.flush()).toEqual([]);
  });

  it('forgets everything when its channel dies, counting the unsent decisions', () => {
    const t = new DeliveryTracker();
    for (let tag = 1; tag <= 3; tag++) t.deliver(tag);
    t.settle(2, 'ack');
    expect(t.clear()).toBe(1);
    expect(t.unsettled).toBe(0);
    expect(t.flush()).toEqual([]);
  });
});

describe('decide', () => {
  const retry = { maxAttempts: 3, delay: { initial: 100, max: 1000 } };
  it.each([
    ['ack', false, 0, { kind: 'settle', op: 'ack' }],
    ['reject', false, 0, { kind: 'settle', op: 'reject' }],
    ['requeue', true, 0, { kind: 'settle', op: 'requeue' }],
    ['requeueOnce', false, 0, { kind: 'settle', op: 'requeue' }],
    ['requeueOnce', true, 0, { kind: 'settle', op: 'reject' }],
    ['retry', false, 0, { kind: 'retry', attempt: 1, delayMs: 100 }],
    ['retry', true, 1, { kind: 'retry', attempt: 2, delayMs: 200 }],
    ['retry', false, 2, { kind: 'settle', op: 'reject' }],
  ] as const)(
    '%s (redelivered %s, %i failures before) → %o',
    (policy, redelivered, failures, expected) => {
      expect(decide(policy, { redelivered, failures }, retry)).toEqual(expected);
    },
  );

  it('reads the attempts header, and treats garbage as none', () => {
    expect(failuresOf({ 'x-sluice-attempts': 2 })).toBe(2);
    expect(failuresOf({ 'x-sluice-attempts': '3' })).toBe(3);
    expect(failuresOf({ 'x-sluice-attempts': 'x' })).toBe(0);
    expect(failuresOf({})).toBe(0);
  });
});
