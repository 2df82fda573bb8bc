/**
 * The read loop (reader.ts) on a client answered from memory, with fake
 * timers: a retry that becomes due while XREADGROUP blocks ends the read
 * at once instead of waiting for `block`, and reads are pipelined while the
 * stream has a backlog. The real server's side is in
 * redis.integration.test.ts.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DeliveredEntry } from '../../src/redis/claims.ts';
import type { RedisClient, RedisEntry, RedisReadGroup } from '../../src/redis/client.ts';
import { Reader } from '../../src/redis/reader.ts';
import { memoryLogger } from './support.ts';

/** A read the test answers, or that ends with nothing when its signal aborts. */
interface PendingRead {
  readonly args: RedisReadGroup;
  readonly answer: (entries: RedisEntry[]) => void;
  readonly fail: (error: Error) => void;
}

/** A client whose XREADGROUP blocks until the test answers it (or its signal aborts). */
function blockingClient() {
  const reads: PendingRead[] = [];
  const calls: string[] = [];
  const closing: (() => void)[] = [];
  const c = {
    reads,
    calls,
    readGroup: (args: RedisReadGroup) =>
      new Promise<RedisEntry[]>((resolve, reject) => {
        calls.push(`XREADGROUP ${args.count}`);
        let done = false;
        const settle = (entries: RedisEntry[]): void => {
          done = true;
          resolve(entries);
        };
        const fail = (error: Error): void => {
          done = true;
          reject(error);
        };
        reads.push({ args, answer: settle, fail });
        args.signal?.addEventListener('abort', () => {
          if (done) return;
          calls.push('unblocked');
          settle([]);
        });
        closing.push(() => {
          if (!done) reject(new Error('closed'));
        });
      }),
    autoClaim: () => {
      calls.push('XAUTOCLAIM');
      return Promise.resolve({ cursor: '0-0', entries: [] });
    },
    claim: (_s: string, _g: string, _c: string, _minIdle: number, ids: readonly string[]) => {
      calls.push(`XCLAIM ${ids.join(',')}`);
      return Promise.resolve(ids.map((id) => ({ id, fields: { n: id } })));
    },
    pending: (_s: string, _g: string, start: string) =>
      Promise.resolve([{ id: start, consumer: 'c', deliveryCount: 2 }]),
    duplicate: () => c,
    close: () => {
      for (const abandon of closing) abandon();
      return Promise.resolve();
    },
  };
  return c as unknown as RedisClient & { reads: PendingRead[]; calls: string[] };
}

function reader(
  client: RedisClient,
  emitted: DeliveredEntry[][],
  beforeRead?: (connection: RedisClient) => void,
) {
  return new Reader({
    ...(beforeRead !== undefined && { beforeRead }),
    client,
    stream: 's',
    group: 'g',
    consumer: 'c',
    count: 10,
    block: 5000,
    claimIdle: 60_000,
    claimInterval: 60_000,
    reconnectBackoff: { initial: 100, max: 1000 },
    logger: memoryLogger(),
    onEntries: (entries) => emitted.push(entries),
  });
}

const entries = (from: number, n: number): RedisEntry[] =>
  Array.from({ length: n }, (_, i) => ({ id: `${from + i}-0`, fields: { n: String(from + i) } }));

afterEach(() => vi.useRealTimers());

describe('Reader', () => {
  it('claims a retry that becomes due while XREADGROUP blocks, without waiting for block', async () => {
    vi.useFakeTimers();
    const c = blockingClient();
    const emitted: DeliveredEntry[][] = [];
    const r = reader(c, emitted);
    r.demand(1);
    await vi.waitFor(() => expect(c.reads).toHaveLength(1));
    c.reads[0]?.answer(entries(1, 1));
    await vi.waitFor(() => expect(emitted).toHaveLength(1));
    // The pipeline fails it (retry in 100 ms) and asks for one more.
    r.retries.schedule([{ id: '1-0', delayMs: 100 }]);
    r.demand(1);
    await vi.waitFor(() => expect(c.reads).toHaveLength(2));
    expect(c.reads[1]?.args.block).toBe(5000);

    await vi.advanceTimersByTimeAsync(100);
    await vi.waitFor(() => expect(emitted).toHaveLength(2));
    expect(emitted[1]).toEqual([{ id: '1-0', fields: { n: '1-0' }, deliveryCount: 2 }]);
    expect(c.calls).toEqual([
      'XAUTOCLAIM',
      'XREADGROUP 1',
      'XREADGROUP 1',
      'unblocked',
      'XCLAIM 1-0',
    ]);
    expect(r.unmet).toBe(0);
    await r.drain();
  });

  it('keeps a second read in flight while the stream has a backlog, each within the demand', async () => {
    const c = blockingClient();
    const emitted: DeliveredEntry[][] = [];
    const r = reader(c, emitted);
    r.demand(30);
    await vi.waitFor(() => expect(c.reads).toHaveLength(1));
    // No backlog known yet: one read.
    expect(c.calls).toEqual(['XAUTOCLAIM', 'XREADGROUP 10']);
    c.reads[0]?.answer(entries(1, 10));
    // A full read: the next two go out together (20 of the 20 left).
    await vi.waitFor(() => expect(c.reads).toHaveLength(3));
    expect(c.calls.slice(2)).toEqual(['XREADGROUP 10', 'XREADGROUP 10']);
    c.reads[1]?.answer(entries(11, 10));
    c.reads[2]?.answer(entries(21, 4));
    await vi.waitFor(() => expect(emitted).toHaveLength(3));
    // 6 still wanted, the last read was short: one read, for 6.
    await vi.waitFor(() => expect(c.reads).toHaveLength(4));
    expect(c.reads[3]?.args.count).toBe(6);
    expect(r.unmet).toBe(6);
    expect(emitted.flat()).toHaveLength(24);
    await r.drain();
  });

  it('calls beforeRead on the reading connection before a read, unless another read is in flight there', async () => {
    const c = blockingClient();
    const emitted: DeliveredEntry[][] = [];
    const r = reader(c, emitted, (connection) => {
      expect(connection).toBe(c);
      c.calls.push('beforeRead');
    });
    r.demand(30);
    await vi.waitFor(() => expect(c.reads).toHaveLength(1));
    c.reads[0]?.answer(entries(1, 10));
    await vi.waitFor(() => expect(c.reads).toHaveLength(3));
    // The second of the two pipelined reads would queue a command behind the first, which may block.
    expect(c.calls).toEqual([
      'XAUTOCLAIM',
      'beforeRead',
      'XREADGROUP 10',
      'beforeRead',
      'XREADGROUP 10',
      'XREADGROUP 10',
    ]);
    await r.drain();
  });

  it('reports not connected from a failed read until a read succeeds', async () => {
    vi.useFakeTimers();
    const c = blockingClient();
    const emitted: DeliveredEntry[][] = [];
    const r = reader(c, emitted);
    expect(r.connected).toBe(true);
    r.demand(1);
    await vi.waitFor(() => expect(c.reads).toHaveLength(1));
    c.reads[0]?.fail(new Error('connection lost'));
    await vi.waitFor(() => expect(r.connected).toBe(false));
    // The next read goes out after the backoff (at most reconnectBackoff.max).
    await vi.advanceTimersByTimeAsync(1000);
    await vi.waitFor(() => expect(c.reads).toHaveLength(2));
    expect(r.connected).toBe(false);
    c.reads[1]?.answer(entries(1, 1));
    await vi.waitFor(() => expect(emitted).toHaveLength(1));
    expect(r.connected).toBe(true);
    await r.drain();
  });
});
