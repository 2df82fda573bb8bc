import { describe, expect, it } from 'vitest';
import { Message, noopAcknowledger } from '../../src/index.ts';
import { Batches, PRUNE_AT, type Batch } from '../../src/pipeline/batches.ts';

const msg = (
  data: unknown,
  batchKey: unknown = 'default',
  mode: 'bulk' | 'flush' = 'bulk',
): Message =>
  new Message({ data, acknowledger: noopAcknowledger }).putBatchKey(batchKey).putBatchMode(mode);

describe('Batches', () => {
  it('closes a batch when it reaches batchSize, with trigger size', () => {
    const b = new Batches('s3', 2);
    expect(b.add(msg(1), undefined)).toBeUndefined();
    const closed = b.add(msg(2), undefined);
    expect(closed?.messages.map((m) => m.data)).toEqual([1, 2]);
    expect(closed?.info).toEqual({
      batcher: 's3',
      batchKey: 'default',
      partition: undefined,
      size: 2,
      trigger: 'size',
    });
    expect(b.size).toBe(0);
  });

  it('appends a run joining the last batch, stopping before the message that fills it', () => {
    const b = new Batches('s3', 4);
    const run = [msg(1), msg(2), msg(3), msg(4), msg(5)];
    b.add(run[0] as Message, undefined);
    // Messages 2 and 3 join; 4 would fill the batch, so add() must take it.
    expect(b.appendRun(run, 1)).toBe(3);
    expect(b.add(run[3] as Message, undefined)?.messages.map((m) => m.data)).toEqual([1, 2, 3, 4]);
  });

  it('stops a run at a message of another batch key or in flush mode', () => {
    const b = new Batches('s3', 10);
    const run = [msg(1), msg(2), msg(3, 'other'), msg(4)];
    b.add(run[0] as Message, undefined);
    expect(b.appendRun(run, 1)).toBe(2);
    const flushing = [msg(5), msg(6, 'default', 'flush')];
    b.add(flushing[0] as Message, undefined);
    expect(b.appendRun(flushing, 1)).toBe(1);
  });

  it('appends nothing to a partitioned batch or with a custom batch size', () => {
    const partitioned = new Batches('s3', 10);
    partitioned.add(msg(1), 0);
    expect(partitioned.appendRun([msg(1), msg(2)], 1)).toBe(1);
    const custom = new Batches('s3', {
      initial: 0,
      accumulate: (_m, n: number) => ({ emit: false, acc: n + 1 }),
    });
    custom.add(msg(1), undefined);
    expect(custom.appendRun([msg(1), msg(2)], 1)).toBe(1);
  });

  it('reports each batch it opens, so the caller can start its timer', () => {
    const b = new Batches('s3', 10);
    b.add(msg(1), undefined);
    expect(b.opened).toBeDefined();
    b.add(msg(2), undefined);
    expect(b.opened).toBeUndefined();
  });

  it('keeps one open batch per batch key and partition', () => {
    const b = new Batches('s3', 2);
    b.add(msg('a1', 'a'), undefined);
    b.add(msg('b1', 'b'), undefined);
    b.add(msg('a2', 'a', 'bulk'), 1);
    expect(b.size).toBe(3);
    const closed = b.add(msg('a3', 'a'), undefined);
    expect(closed?.messages.map((m) => m.data)).toEqual(['a1', 'a3']);
    expect(closed?.info.batchKey).toBe('a');
  });

  it('closes an open batch when its timer expires, and ignores a stale timer', () => {
    const b = new Batches('s3', 10);
    b.add(msg(1), undefined);
    const opened = b.opened as Batch;
    expect(b.expire(opened)?.info.trigger).toBe('timeout');
    expect(b.expire(opened)).toBeUndefined();
  });

  it('flushes only the batches that hold a message in flush mode', () => {
    const b = new Batches('s3', 10);
    b.add(msg(1, 'a'), undefined);
    b.add(msg(2, 'b', 'flush'), undefined);
    const flushed = b.flushFlagged();
    expect(flushed.map((x) => [x.info.batchKey, x.info.trigger])).toEqual([['b', 'flush']]);
    expect(b.size).toBe(1);
  });

  it('flushes everything when draining', () => {
    const b = new Batches('s3', 10);
    b.add(msg(1, 'a'), undefined);
    b.add(msg(2, 'b'), 3);
    expect(b.flushAll().map((x) => [x.info.batchKey, x.info.partition, x.info.trigger])).toEqual([
      ['a', undefined, 'flush'],
      ['b', 3, 'flush'],
    ]);
    expect(b.size).toBe(0);
  });

  it('reuses a key after its batch closed, and past PRUNE_AT keys still holds every open batch', () => {
    const b = new Batches('s3', 2);
    // A key whose batch closed opens a fresh one.
    b.add(msg(1, 'k'), undefined);
    b.add(msg(2, 'k'), undefined);
    b.add(msg(3, 'k'), undefined);
    expect(b.size).toBe(1);
    // Many keys, each batch closed, then more than PRUNE_AT new keys, each left open:
    // the closed keys' entries are dropped along the way, the open batches are all kept.
    for (let i = 0; i < PRUNE_AT; i++) {
      b.add(msg(i, `closed-${i}`), undefined);
      b.add(msg(i, `closed-${i}`), undefined);
    }
    for (let i = 0; i < PRUNE_AT + 10; i++) b.add(msg(i, `open-${i}`), undefined);
    expect(b.size).toBe(PRUNE_AT + 11);
    const flushed = b.flushAll();
    expect(flushed).toHaveLength(PRUNE_AT + 11);
    expect(flushed.map((batch) => batch.info.batchKey)).toContain('k');
    expect(flushed.every((batch) => batch.messages.length === 1)).toBe(true);
    expect(b.size).toBe(0);
    expect(b.flushAll()).toEqual([]);
  });

  it('batches by a custom accumulator and keeps the accumulator it returns with emit', () => {
    // Batch by bytes: emit once a batch reaches 10 bytes; the overflow
    // carries over into the next batch's starting value.
    const bytes = {
      initial: 0,
      accumulate(message: Message, acc: number) {
        const size = acc + (message.data as string).length;
        return size >= 10 ? { emit: true, acc: size - 10 } : { emit: false, acc: size };
      },
    };
    const b = new Batches('s3', bytes);
    expect(b.add(msg('aaaa'), undefined)).toBeUndefined(); // 4
    const first = b.add(msg('bbbbbbb'), undefined); // 11: emit, carry 1
    expect(first?.messages.map((m) => m.data)).toEqual(['aaaa', 'bbbbbbb']);
    expect(b.add(msg('cccccccc'), undefined)).toBeUndefined(); // starts at 1: 9
    expect(b.opened?.acc).toBe(9);
    const second = b.add(msg('d'), undefined); // 10: emit
    expect(second?.messages.map((m) => m.data)).toEqual(['cccccccc', 'd']);
  });

  it('carries an accumulator into the next batch only, and drops it with a pruned idle key', () => {
    // Counts messages; emits every 2nd, carrying 100 into the next batch.
    const counting = {
      initial: 0,
      accumulate: (_m: Message, acc: number) =>
        acc % 100 === 1 ? { emit: true, acc: 100 } : { emit: false, acc: acc + 1 },
    };
    const b = new Batches('s3', counting);
    b.add(msg(1, 'k'), undefined);
    b.add(msg(2, 'k'), undefined); // emits, carries 100
    b.add(msg(3, 'k'), undefined);
    expect(b.opened?.acc).toBe(101); // started from the carry
    b.flushAll(); // closed without emit: nothing carried
    b.add(msg(4, 'k'), undefined);
    expect(b.opened?.acc).toBe(1); // from initial again
    b.add(msg(5, 'k'), undefined); // emits, carries 100; the key is now idle
    // Enough other idle keys to prune: 'k' goes, with what it carried.
    for (let i = 0; i < PRUNE_AT; i++) {
      b.add(msg(i, `other-${i}`), undefined);
      b.add(msg(i, `other-${i}`), undefined);
    }
    b.add(msg(6, 'new'), undefined);
    b.add(msg(7, 'k'), undefined);
    expect(b.opened?.acc).toBe(1);
  });

  it('calls onClose for every batch that closes', () => {
    const closed: unknown[] = [];
    const b = new Batches('s3', 1, (batch) => closed.push(batch.batchKey));
    b.add(msg(1, 'x'), undefined);
    expect(closed).toEqual(['x']);
  });
});
