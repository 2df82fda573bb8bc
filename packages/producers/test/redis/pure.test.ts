import { afterEach, describe, expect, it, vi } from 'vitest';
import { Acker } from '../../src/redis/acker.ts';
import { claimRetries, compareIds, IdleClaimer } from '../../src/redis/claims.ts';
import type { RedisClient, RedisEntry, RedisPendingEntry } from '../../src/redis/client.ts';
import { describeReason, failureAction } from '../../src/redis/failures.ts';
import { needsNewConnection, ReadBackoff } from '../../src/redis/reconnect.ts';
import { RetryQueue } from '../../src/redis/retries.ts';
import { BrokerError } from '../../src/errors.ts';
import { memoryLogger } from './support.ts';

/** The calls the pure pieces make, answered from memory. */
function fakeClient(over: Partial<RedisClient> = {}): RedisClient & { calls: unknown[][] } {
  const calls: unknown[][] = [];
  const pending = new Map<string, RedisPendingEntry>();
  const client: RedisClient & { calls: unknown[][] } = {
    calls,
    readGroup: () => Promise.resolve([]),
    ack: (_s: string, _g: string, ids: readonly string[]) => {
      calls.push(['ack', [...ids]]);
      return Promise.resolve(ids.length);
    },
    claim: (_s: string, _g: string, consumer: string, minIdle: number, ids: readonly string[]) => {
      calls.push(['claim', consumer, minIdle, [...ids]]);
      for (const id of ids) {
        const count = (pending.get(id)?.deliveryCount ?? 1) + 1;
        pending.set(id, { id, consumer, deliveryCount: count });
      }
      return Promise.resolve(ids.map((id): RedisEntry => ({ id, fields: { id } })));
    },
    touch: (_s: string, _g: string, consumer: string, minIdle: number, ids: readonly string[]) => {
      calls.push(['touch', consumer, minIdle, [...ids]]);
      return Promise.resolve(ids.length);
    },
    autoClaim: (
      _s: string,
      _g: string,
      _c: string,
      _idle: number,
      cursor: string,
      count: number,
    ) => {
      calls.push(['autoClaim', cursor, count]);
      return Promise.resolve({ cursor: '0-0', entries: [] });
    },
    pending: (_s: string, _g: string, start: string, end: string) =>
      Promise.resolve(
        [...pending.values()].filter(
          (p) => compareIds(p.id, start) >= 0 && compareIds(p.id, end) <= 0,
        ),
      ),
    add: () => Promise.resolve('1-0'),
    createGroup: () => Promise.resolve(true),
    hasGroup: () => Promise.resolve(true),
    duplicate: () => client,
    close: () => Promise.resolve(),
    ...over,
  };
  return client;
}

describe('failureAction', () => {
  const backoff = { initial: 100, max: 1000 };
  it('retries with a doubling delay until the delivery count reaches maxAttempts', () => {
    expect(failureAction(1, 3, backoff)).toEqual({ kind: 'retry', delayMs: 100 });
    expect(failureAction(2, 3, backoff)).toEqual({ kind: 'retry', delayMs: 200 });
    expect(failureAction(3, 3, backoff)).toEqual({ kind: 'deadLetter' });
    expect(failureAction(7, 3, backoff)).toEqual({ kind: 'deadLetter' });
  });
  it('dead-letters at once with maxAttempts 1, and caps the delay at max', () => {
    expect(failureAction(1, 1, backoff)).toEqual({ kind: 'deadLetter' });
    expect(failureAction(9, 20, backoff)).toEqual({ kind: 'retry', delayMs: 1000 });
  });
  it('describes reasons on one line', () => {
    expect(describeReason(new TypeError('bad'))).toBe('TypeError: bad');
    expect(describeReason('plain')).toBe('plain');
    expect(describeReason({ code: 7 })).toBe('{"code":7}');
  });
});

describe('RetryQueue', () => {
  afterEach(() => {
    vi.useRealTimers();
  });
  it('makes entries ready after their delay, and wakes the reader', () => {
    vi.useFakeTimers();
    const wake = vi.fn();
    const q = new RetryQueue(wake);
    q.schedule([
      { id: '1-0', delayMs: 100 },
      { id: '2-0', delayMs: 300 },
      { id: '3-0', delayMs: 100 },
    ]);
    expect(q.waiting).toBe(2);
    vi.advanceTimersByTime(99);
    expect(q.ready).toBe(0);
    vi.advanceTimersByTime(1);
    expect(wake).toHaveBeenCalledTimes(1);
    expect(q.take(1)).toEqual([{ id: '1-0', delayMs: 100 }]);
    expect(q.take(5)).toEqual([{ id: '3-0', delayMs: 100 }]);
    vi.advanceTimersByTime(200);
    expect(q.take(5)).toEqual([{ id: '2-0', delayMs: 300 }]);
  });
  it('clear() forgets waiting and ready entries', () => {
    vi.useFakeTimers();
    const q = new RetryQueue(() => undefined);
    q.schedule([{ id: '1-0', delayMs: 10 }]);
    q.clear();
    vi.advanceTimersByTime(100);
    expect(q.ready).toBe(0);
    expect(q.waiting).toBe(0);
  });
});

describe('ReadBackoff', () => {
  it('doubles the pause per failure in a row, jittered in its upper half, and resets on success', () => {
    const b = new ReadBackoff({ initial: 100, max: 1000 }, () => 0.999999);
    expect([b.failed(), b.failed(), b.failed(), b.failed(), b.failed()]).toEqual([
      100, 200, 400, 800, 1000,
    ]);
    b.succeeded();
    expect(b.failures).toBe(0);
    const low = new ReadBackoff({ initial: 100, max: 1000 }, () => 0);
    expect(low.failed()).toBe(50);
  });
  it('replaces the connection after a timeout or a closed connection only', () => {
    expect(needsNewConnection(new BrokerError('ERR_BROKER_TIMEOUT', 'redis', 't'))).toBe(true);
    expect(needsNewConnection(new BrokerError('ERR_BROKER_CLOSED', 'redis', 'c'))).toBe(true);
    expect(needsNewConnection(new BrokerError('ERR_BROKER_REQUEST', 'redis', 'r'))).toBe(false);
  });
});

describe('stream ids', () => {
  it('compare numerically, not as text', () => {
    expect(['10-0', '9-1', '9-10', '9-2'].sort(compareIds)).toEqual(['9-1', '9-2', '9-10', '10-0']);
  });
});

describe('claims', () => {
  const target = (client: RedisClient) => ({ client, stream: 's', group: 'g', consumer: 'c-0' });

  it('claims retries back with their backoff as the least idle time, with the counts XPENDING reports', async () => {
    const client = fakeClient();
    const got = await claimRetries(target(client), [
      { id: '5-0', delayMs: 100 },
      { id: '7-0', delayMs: 200 },
    ]);
    expect(client.calls).toEqual([
      ['claim', 'c-0', 100, ['5-0']],
      ['claim', 'c-0', 200, ['7-0']],
    ]);
    expect(got.map((e) => [e.id, e.deliveryCount])).toEqual([
      ['5-0', 2],
      ['7-0', 2],
    ]);
  });

  it('runs XAUTOCLAIM at once, then once per interval after an exhausted scan', async () => {
    const client = fakeClient();
    const claimer = new IdleClaimer(target(client), 60_000, 1000, 0);
    expect(claimer.due(0)).toBe(true);
    await claimer.claim(10, 0);
    expect(claimer.due(999)).toBe(false);
    expect(claimer.msUntilDue(400)).toBe(600);
    expect(claimer.due(1000)).toBe(true);
  });

  it('goes on at once from the cursor after a full page', async () => {
    const client = fakeClient({
      autoClaim: () =>
        Promise.resolve({
          cursor: '9-0',
          entries: [
            { id: '1-0', fields: {} },
            { id: '2-0', fields: {} },
          ],
        }),
    });
    const claimer = new IdleClaimer(target(client), 60_000, 1000, 0);
    const got = await claimer.claim(2, 0);
    expect(got.map((e) => e.deliveryCount)).toEqual([1, 1]);
    expect(claimer.due(0)).toBe(true);
  });
});

describe('Acker', () => {
  afterEach(() => {
    vi.useRealTimers();
  });
  const options = (client: RedisClient) => ({
    client,
    stream: 's',
    group: 'g',
    windowMs: 5,
    batchSize: 3,
    logger: memoryLogger(),
    sleep: () => Promise.resolve(),
  });

  it('coalesces acks into XACKs of batchSize, the rest after the window, and counts them unconfirmed until answered', async () => {
    vi.useFakeTimers();
    const client = fakeClient();
    const acker = new Acker(options(client));
    const a = acker.ack(['1-0', '2-0']);
    const b = acker.ack(['3-0', '4-0']);
    expect(client.calls).toEqual([['ack', ['1-0', '2-0', '3-0']]]);
    expect(acker.unconfirmed()).toBe(4);
    await a;
    expect(acker.unconfirmed()).toBe(1);
    vi.advanceTimersByTime(5);
    await b;
    expect(client.calls).toEqual([
      ['ack', ['1-0', '2-0', '3-0']],
      ['ack', ['4-0']],
    ]);
    expect(acker.unconfirmed()).toBe(0);
  });

  it('tries a failed XACK 3 times, then rejects with the error and logs that the ids stay pending', async () => {
    const error = new BrokerError('ERR_BROKER_UNREACHABLE', 'redis', 'down');
    let calls = 0;
    const client = fakeClient({
      ack: () => {
        calls += 1;
        return Promise.reject(error);
      },
    });
    const o = options(client);
    const acker = new Acker(o);
    const done = acker.ack(['1-0']);
    await acker.flush();
    await expect(done).rejects.toBe(error);
    expect(calls).toBe(3);
    expect(acker.unconfirmed()).toBe(0);
    expect(o.logger.lines.map((l) => l.msg)).toEqual([
      'Redis XACK of 1 entries failed 3 times; they stay pending and will be claimed again after claimIdle',
    ]);
  });

  it('sendWaitingOn() sends what waits on the connection given (a reader about to read); a failure is retried on its own', async () => {
    vi.useFakeTimers();
    const own = fakeClient();
    let readerCalls = 0;
    const reader = fakeClient({
      ack: () => {
        readerCalls += 1;
        return readerCalls === 1 ? Promise.resolve(2) : Promise.reject(new Error('closed'));
      },
    });
    const acker = new Acker({ ...options(own), batchSize: 10 });
    const a = acker.ack(['1-0', '2-0']);
    acker.sendWaitingOn(reader);
    await a;
    // Sent at once, without waiting for the window; nothing on the acker's own connection.
    expect(readerCalls).toBe(1);
    expect(own.calls).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
    // Nothing waits: nothing is sent.
    acker.sendWaitingOn(reader);
    expect(readerCalls).toBe(1);
    const b = acker.ack(['3-0']);
    acker.sendWaitingOn(reader);
    await b;
    expect(readerCalls).toBe(2);
    expect(own.calls).toEqual([['ack', ['3-0']]]);
    expect(acker.unconfirmed()).toBe(0);
  });

  it('flush() sends what waits at once', async () => {
    const client = fakeClient();
    const acker = new Acker({ ...options(client), windowMs: 60_000 });
    const done = acker.ack(['1-0']);
    await acker.flush();
    await done;
    expect(client.calls).toEqual([['ack', ['1-0']]]);
  });
});
