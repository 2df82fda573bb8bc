import { Message, noopAcknowledger } from '@sluice/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { failedWith, sinkWriter, WRITTEN, type Sink, type SinkOutcome } from '../src/index.ts';

const message = (data: number): Message<number> =>
  new Message({ data, acknowledger: noopAcknowledger });

/** A sink whose writes finish only when the test says so. */
function heldSink() {
  const writes: {
    data: number[];
    signal: AbortSignal | undefined;
    finish: (outcomes: readonly SinkOutcome[] | Error) => void;
  }[] = [];
  const sink: Sink<number> = {
    name: 'held sink',
    write: (messages, signal) =>
      new Promise((resolve, reject) => {
        writes.push({
          data: messages.map((m) => m.data),
          signal,
          finish: (o) => (o instanceof Error ? reject(o) : resolve(o)),
        });
      }),
    close: async () => {},
  };
  /** Finishes write `i` with every message written. */
  const ok = (i: number): void => writes[i]?.finish(writes[i].data.map(() => WRITTEN));
  return { sink, writes, ok };
}

const status = (m: Message) => m.status.kind;

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('sinkWriter', () => {
  it('writes the calls of one turn together, and those arriving during a write in the next', async () => {
    const { sink, writes, ok } = heldSink();
    const writer = sinkWriter(sink);
    const first = [1, 2, 3].map((d) => writer.write(message(d)));
    await vi.advanceTimersByTimeAsync(0);
    expect(writes.map((w) => w.data)).toEqual([[1, 2, 3]]);

    const second = [4, 5].map((d) => writer.write(message(d)));
    await vi.advanceTimersByTimeAsync(10);
    // One write in flight (maxInFlight 1): 4 and 5 wait for it.
    expect(writes).toHaveLength(1);
    expect(writer.queued).toBe(2);

    ok(0);
    expect((await Promise.all(first)).map(status)).toEqual(['ok', 'ok', 'ok']);
    await vi.advanceTimersByTimeAsync(0);
    expect(writes.map((w) => w.data)).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
    ok(1);
    expect((await Promise.all(second)).map((m) => m.data)).toEqual([4, 5]);
  });

  it("resolves each call with its own message's outcome", async () => {
    const { sink, writes } = heldSink();
    const writer = sinkWriter(sink);
    const calls = [1, 2, 3, 4].map((d) => writer.write(message(d)));
    await vi.advanceTimersByTimeAsync(0);
    writes[0]?.finish([WRITTEN, failedWith('no 2'), WRITTEN, failedWith('no 4')]);
    const done = await Promise.all(calls);
    expect(done.map((m) => m.status)).toEqual([
      { kind: 'ok' },
      { kind: 'failed', reason: 'no 2' },
      { kind: 'ok' },
      { kind: 'failed', reason: 'no 4' },
    ]);
  });

  it('fails every message of a write that rejects, and only those', async () => {
    const { sink, writes, ok } = heldSink();
    const writer = sinkWriter(sink, { maxBatchSize: 2, maxInFlight: 2 });
    const calls = [1, 2, 3, 4].map((d) => writer.write(message(d)));
    await vi.advanceTimersByTimeAsync(0);
    expect(writes.map((w) => w.data)).toEqual([
      [1, 2],
      [3, 4],
    ]);
    const down = new Error('connection reset');
    writes[0]?.finish(down);
    ok(1);
    expect((await Promise.all(calls)).map((m) => m.status)).toEqual([
      { kind: 'failed', reason: down },
      { kind: 'failed', reason: down },
      { kind: 'ok' },
      { kind: 'ok' },
    ]);
  });

  it('is bounded: at most maxBatchSize per write and waiting, maxInFlight writes; callers wait', async () => {
    const { sink, writes, ok } = heldSink();
    const writer = sinkWriter(sink, { maxBatchSize: 3, maxInFlight: 2 });
    let settled = 0;
    const calls = Array.from({ length: 11 }, (_, i) =>
      writer.write(message(i)).then((m) => {
        settled += 1;
        return m;
      }),
    );
    await vi.advanceTimersByTimeAsync(100);
    expect(writes.map((w) => w.data)).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ]);
    expect(writer.inFlight).toBe(2);
    expect(writer.queued).toBe(3);
    // The slow sink holds every caller: nothing resolves unconfirmed.
    expect(settled).toBe(0);

    ok(0);
    await vi.advanceTimersByTimeAsync(0);
    expect(settled).toBe(3);
    expect(writes.map((w) => w.data)[2]).toEqual([6, 7, 8]);
    expect(writer.queued).toBe(2);
    ok(1);
    ok(2);
    await vi.advanceTimersByTimeAsync(0);
    expect(writes.map((w) => w.data)[3]).toEqual([9, 10]);
    ok(3);
    const done = await Promise.all(calls);
    expect(done.map((m) => m.data)).toEqual(Array.from({ length: 11 }, (_, i) => i));
    expect(done.every((m) => m.ok)).toBe(true);
    expect(writes.flatMap((w) => w.data)).toHaveLength(11);
  });

  it('takes an aborted call out of the line unwritten, failed with the abort reason', async () => {
    const { sink, writes, ok } = heldSink();
    const writer = sinkWriter(sink, { maxBatchSize: 2 });
    const calls = [0, 1].map((d) => writer.write(message(d)));
    await vi.advanceTimersByTimeAsync(0);
    const queued = new AbortController();
    const waiting = new AbortController();
    const inLine = writer.write(message(2), queued.signal);
    const keep = writer.write(message(3));
    const overflow = writer.write(message(4), waiting.signal);
    expect(writer.queued).toBe(2);

    queued.abort('shutting down');
    waiting.abort('gave up');
    expect((await inLine).status).toEqual({ kind: 'failed', reason: 'shutting down' });
    expect((await overflow).status).toEqual({ kind: 'failed', reason: 'gave up' });
    expect(writer.queued).toBe(1);

    ok(0);
    await Promise.all(calls);
    await vi.advanceTimersByTimeAsync(0);
    expect(writes.map((w) => w.data)).toEqual([[0, 1], [3]]);
    ok(1);
    expect((await keep).ok).toBe(true);
  });

  it('aborts a write in flight only once every caller in it has given up', async () => {
    const { sink, writes } = heldSink();
    const writer = sinkWriter(sink);
    const a = new AbortController();
    const b = new AbortController();
    const calls = [writer.write(message(1), a.signal), writer.write(message(2), b.signal)];
    await vi.advanceTimersByTimeAsync(0);
    a.abort('a stops');
    expect(writes[0]?.signal?.aborted).toBe(false);
    // The caller that gave up is failed (redelivered, maybe written twice), never acked.
    expect((await calls[0])?.status).toEqual({ kind: 'failed', reason: 'a stops' });
    b.abort('b stops');
    expect(writes[0]?.signal?.aborted).toBe(true);
    writes[0]?.finish([WRITTEN, WRITTEN]);
    expect((await calls[1])?.status.kind).toBe('failed');
  });

  it('close writes what waits, then fails later calls', async () => {
    const { sink, writes, ok } = heldSink();
    const writer = sinkWriter(sink, { maxBatchSize: 2 });
    const calls = [1, 2, 3].map((d) => writer.write(message(d)));
    const closing = writer.close();
    await vi.advanceTimersByTimeAsync(0);
    ok(0);
    await vi.advanceTimersByTimeAsync(0);
    ok(1);
    await closing;
    expect((await Promise.all(calls)).every((m) => m.ok)).toBe(true);
    expect(writes.map((w) => w.data)).toEqual([[1, 2], [3]]);
    const late = await writer.write(message(4));
    expect(String((late.status as { reason: Error }).reason)).toMatch(
      /held sink: the sink writer is closed; nothing written/,
    );
  });

  it('rejects a bad option by name and value', () => {
    expect(() => sinkWriter(heldSink().sink, { maxBatchSize: 0 })).toThrow(
      /sinkWriter: maxBatchSize must be a positive integer, got 0/,
    );
  });
});
