import { Message, noopAcknowledger } from '@sluice/core';
import { describe, expect, it } from 'vitest';
import { failedWith, limit, writeBatch, WRITTEN, type Sink } from '../src/index.ts';

const messages = (n: number): Message[] =>
  Array.from({ length: n }, (_, i) => new Message({ data: i, acknowledger: noopAcknowledger }));

const sinkOf = (write: Sink['write']): Sink => ({
  name: 'test sink',
  write,
  close: async () => {},
});

describe('writeBatch', () => {
  it('fails exactly the messages whose write failed, and returns the rest as they are', async () => {
    const batch = messages(4);
    const result = await writeBatch(
      sinkOf(async (ms) =>
        ms.map((m) =>
          m.data === 1 || m.data === 3 ? failedWith(`no ${String(m.data)}`) : WRITTEN,
        ),
      ),
      batch,
    );
    expect(result.map((m) => m.status)).toEqual([
      { kind: 'ok' },
      { kind: 'failed', reason: 'no 1' },
      { kind: 'ok' },
      { kind: 'failed', reason: 'no 3' },
    ]);
  });

  it('fails every message when write rejects', async () => {
    const error = new Error('down');
    const result = await writeBatch(
      sinkOf(async () => {
        throw error;
      }),
      messages(3),
    );
    expect(result.map((m) => m.status)).toEqual(Array(3).fill({ kind: 'failed', reason: error }));
  });

  it('fails every message when write returns the wrong number of outcomes, never acking one unconfirmed', async () => {
    const result = await writeBatch(
      sinkOf(async () => [WRITTEN]),
      messages(2),
    );
    for (const m of result) {
      expect(m.status.kind).toBe('failed');
      expect(String((m.status as { reason: Error }).reason.message)).toMatch(
        /test sink: write\(\) must return one outcome per message \(2\), got 1 outcomes/,
      );
    }
  });
});

describe('limit', () => {
  it('runs at most n tasks at once; the others wait in order', async () => {
    const gate = limit(2);
    const releases: (() => void)[] = [];
    const started: number[] = [];
    const task = (i: number) => () =>
      new Promise<number>((resolve) => {
        started.push(i);
        releases.push(() => resolve(i));
      });
    const all = [0, 1, 2, 3].map((i) => gate.run(task(i)));
    await Promise.resolve();
    expect(started).toEqual([0, 1]);
    expect(gate.waiting).toBe(2);
    releases[0]?.();
    await all[0];
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1, 2]);
    expect(gate.active).toBe(2);
    releases[1]?.();
    releases[2]?.();
    await new Promise((r) => setImmediate(r));
    releases[3]?.();
    expect(await Promise.all(all)).toEqual([0, 1, 2, 3]);
    expect(gate.active).toBe(0);
  });
});
