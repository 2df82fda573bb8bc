/**
 * The heartbeat of held entries (holds.ts) and per-message ack options
 * (ack-options.ts, failures.ts), on a client answered from memory. The
 * real server's side (an entry held in a batcher past `claimIdle` is not
 * claimed by anyone) is in test/faults/redis.faults.test.ts's drain.
 */
import { Message, SluiceError } from '@sluice/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Acker } from '../../src/redis/acker.ts';
import type { DeliveredEntry } from '../../src/redis/claims.ts';
import type { RedisClient } from '../../src/redis/client.ts';
import { RedisAcknowledger, type RedisAckData } from '../../src/redis/failures.ts';
import { Holds } from '../../src/redis/holds.ts';
import { RetryQueue } from '../../src/redis/retries.ts';
import { memoryLogger } from './support.ts';

/** A client that records XCLAIM JUSTID and XADD calls. */
function client(touch?: () => Promise<number>) {
  const calls: unknown[][] = [];
  const c = {
    calls,
    touch: (_s: string, _g: string, consumer: string, minIdle: number, ids: readonly string[]) => {
      calls.push(['touch', consumer, minIdle, [...ids]]);
      return touch?.() ?? Promise.resolve(ids.length);
    },
    add: (stream: string, fields: Record<string, string>) => {
      calls.push(['add', stream, fields]);
      return Promise.resolve('9-0');
    },
  };
  return c as unknown as RedisClient & { calls: unknown[][] };
}

afterEach(() => vi.useRealTimers());

/** Entries delivered once, with these ids. */
function entries(...ids: string[]): DeliveredEntry[] {
  return ids.map((id) => ({ id, fields: { id }, deliveryCount: 1 }));
}

describe('Holds', () => {
  it('resets the idle time of what each consumer holds every third of claimIdle, until released', async () => {
    vi.useFakeTimers();
    const c = client();
    const holds = new Holds({
      client: c,
      stream: 's',
      group: 'g',
      claimIdle: 3000,
      logger: memoryLogger(),
    });
    const retries = new RetryQueue(() => undefined);
    const first = holds.hold(entries('1-0', '3-0'), 'c-0', retries);
    const second = holds.hold(entries('2-0'), 'c-1', retries);
    await vi.advanceTimersByTimeAsync(999);
    expect(c.calls).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    // Least idle: half the interval, so an entry another consumer claimed since stays there.
    expect(c.calls).toEqual([
      ['touch', 'c-0', 500, ['1-0', '3-0']],
      ['touch', 'c-1', 500, ['2-0']],
    ]);
    first.settle(0);
    second.settle(0);
    // Settling twice counts once.
    second.settle(0);
    expect(holds.size).toBe(1);
    c.calls.length = 0;
    await vi.advanceTimersByTimeAsync(1000);
    expect(c.calls).toEqual([['touch', 'c-0', 500, ['3-0']]]);
    first.settle(1);
    expect(holds.size).toBe(0);
    c.calls.length = 0;
    await vi.advanceTimersByTimeAsync(5000);
    expect(c.calls).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('logs a failed reset and tries again at the next round', async () => {
    vi.useFakeTimers();
    let fail = true;
    const c = client(() => (fail ? Promise.reject(new Error('LOADING')) : Promise.resolve(1)));
    const logger = memoryLogger();
    const holds = new Holds({ client: c, stream: 's', group: 'g', claimIdle: 300, logger });
    holds.hold(entries('1-0'), 'c-0', new RetryQueue(() => undefined));
    await vi.advanceTimersByTimeAsync(100);
    expect(logger.lines.map((l) => l.level)).toEqual(['warn']);
    expect(logger.lines[0]?.msg).toContain('could not reset the idle time of 1 held entries');
    fail = false;
    await vi.advanceTimersByTimeAsync(100);
    expect(c.calls).toHaveLength(2);
    holds.stop();
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('configureAck on a Redis message', () => {
  function setup(maxAttempts = 5) {
    const c = client();
    const acked: string[][] = [];
    const acker = { ack: (ids: string[]) => (acked.push(ids), Promise.resolve()) };
    const holds = new Holds({
      client: c,
      stream: 's',
      group: 'g',
      claimIdle: 60_000,
      logger: memoryLogger(),
    });
    const retries = new RetryQueue(() => undefined);
    const acknowledger = new RedisAcknowledger({
      client: c,
      acker: acker as unknown as Acker,
      stream: 's',
      group: 'g',
      deadLetterStream: 's:dead',
      maxAttempts,
      retryBackoff: { initial: 100, max: 1000 },
      logger: memoryLogger(),
    });
    const message = (id: string) => {
      const lot = holds.hold(entries(id), 'c-0', retries);
      return new Message({
        data: { id },
        acknowledger,
        ackData: { lot, index: 0 } satisfies RedisAckData,
      });
    };
    return { c, acked, holds, acknowledger, message, retries };
  }

  it('leaves a success pending with onSuccess noop, and acks the others', async () => {
    const { acked, holds, acknowledger, message } = setup();
    const kept = message('1-0').configureAck({ onSuccess: 'noop' });
    const done = message('2-0');
    await acknowledger.ack(undefined, [kept, done], []);
    expect(acked).toEqual([['2-0']]);
    expect(holds.size).toBe(0);
    holds.stop();
  });

  it('dead-letters a first failure with onFailure deadLetter, and drops one with ack', async () => {
    const { c, acked, holds, acknowledger, message, retries } = setup();
    const dead = message('1-0').configureAck({ onFailure: 'deadLetter' }).fail(new Error('bad'));
    const dropped = message('2-0').configureAck({ onFailure: 'ack' }).fail(new Error('skip'));
    const retried = message('3-0').fail(new Error('again'));
    await acknowledger.ack(undefined, [], [dead, dropped, retried]);
    expect(c.calls).toEqual([
      [
        'add',
        's:dead',
        expect.objectContaining({ id: '1-0', 'sluice-failure-reason': 'Error: bad' }),
      ],
    ]);
    expect(acked.flat().sort()).toEqual(['1-0', '2-0']);
    expect(holds.size).toBe(0);
    retries.clear();
    holds.stop();
  });

  it('refuses an unknown option or value, naming it', () => {
    const { message, holds } = setup();
    const m = message('1-0');
    expect(() => m.configureAck({ onFailure: 'delete' })).toThrow(
      "configureAck: onFailure: expected one of 'retry', 'deadLetter', 'ack', got \"delete\"",
    );
    expect(() => m.configureAck({ visibility: 1 })).toThrow(SluiceError);
    expect(() => m.configureAck({ visibility: 1 })).toThrow('unknown Redis ack option visibility');
    holds.stop();
  });
});
