import { testBatch, testMessage } from '@sluice/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { BatchInfo, Message } from '../../src/index.ts';
import {
  fakeTimers,
  idle,
  listProducer,
  pipeline,
  range,
  recordingAcknowledger,
  stopAll,
  advance,
} from './support.ts';
import { settle, until } from '../helpers.ts';

afterEach(stopAll);

/** A pipeline whose handleBatch records each batch it sees. */
function batching(batcher: Record<string, unknown>, handleMessage?: (m: Message) => Message) {
  const batches: { data: unknown[]; info: BatchInfo }[] = [];
  const p = pipeline({
    producer: { module: idle() },
    processors: { default: { concurrency: 1 } },
    batchers: { default: batcher },
    handleMessage: (_p, m) => (handleMessage ? handleMessage(m) : m),
    handleBatch(_b, messages, info) {
      batches.push({ data: messages.map((m) => m.data), info });
      return messages;
    },
  });
  return { p, batches };
}

describe('batchers', () => {
  it('fails a batch whose handleBatch does not settle within the batcher timeout, aborts its signal and frees the lane', async () => {
    fakeTimers();
    let aborted: unknown;
    const p = pipeline({
      producer: { module: idle() },
      processors: { default: { concurrency: 1 } },
      batchers: { default: { batchSize: 1, concurrency: 1, timeout: 1000 } },
      handleMessage: (_p, m) => m,
      handleBatch: (_b, messages, _i, _c, signal) =>
        new Promise<Message[]>((resolve) => {
          if (messages[0]?.data === 'fast') resolve(messages);
          signal.addEventListener('abort', () => {
            aborted = signal.reason as unknown;
          });
        }),
    });
    await p.start();
    const hung = testMessage(p, 'hangs');
    const fast = testMessage(p, 'fast');
    await advance(1000);
    const { failed } = await hung;
    expect(failed[0]?.status).toMatchObject({
      kind: 'error',
      callback: 'handleBatch',
      error: { code: 'ERR_HANDLER_TIMEOUT', message: 'handleBatch did not settle within 1000 ms' },
    });
    expect(aborted).toMatchObject({ code: 'ERR_HANDLER_TIMEOUT' });
    // The lane is free again: the next batch runs and is acked.
    expect((await fast).successful.map((m) => m.data)).toEqual(['fast']);
  });

  it('sends full batches of batchSize', async () => {
    const { p, batches } = batching({ batchSize: 3 });
    await p.start();
    await testBatch(p, range(9));
    expect(batches.map((b) => b.data.length)).toEqual([3, 3, 3]);
    expect(batches.every((b) => b.info.trigger === 'size')).toBe(true);
    expect(batches.flatMap((b) => b.data).sort()).toEqual(range(9));
  });

  it('flushes the remaining messages when batchTimeout elapses', async () => {
    fakeTimers();
    const { p, batches } = batching({ batchSize: 10, batchTimeout: 1000 });
    await p.start();
    const done = testBatch(p, [1, 2, 3]);
    await advance(999);
    expect(batches).toEqual([]);
    await advance(1);
    await done;
    expect(batches).toEqual([
      {
        data: [1, 2, 3],
        info: {
          batcher: 'default',
          batchKey: 'default',
          partition: undefined,
          size: 3,
          trigger: 'timeout',
        },
      },
    ]);
  });

  it('does not restart batchTimeout when more messages join the batch', async () => {
    fakeTimers();
    const { p, batches } = batching({ batchSize: 10, batchTimeout: 1000 });
    await p.start();
    const first = testBatch(p, [1]);
    await advance(600);
    const second = testBatch(p, [2]);
    await advance(400);
    await Promise.all([first, second]);
    expect(batches.map((b) => b.data)).toEqual([[1, 2]]);
  });

  it('groups messages by batch key', async () => {
    const { p, batches } = batching({ batchSize: 2 }, (m) =>
      m.putBatchKey((m.data as number) % 2 === 0 ? 'even' : 'odd'),
    );
    await p.start();
    await testBatch(p, [1, 2, 3, 4]);
    expect(batches.map((b) => [b.info.batchKey, b.data])).toEqual([
      ['odd', [1, 3]],
      ['even', [2, 4]],
    ]);
  });

  it('sends a batch at once when a message in flush mode is in it', async () => {
    const { p, batches } = batching({ batchSize: 100, batchTimeout: 60_000 });
    await p.start();
    const { successful } = await testMessage(p, 'now');
    expect(successful.map((m) => m.data)).toEqual(['now']);
    expect(batches[0]?.info.trigger).toBe('flush');
  });

  it('does not forward failed messages to the batcher', async () => {
    const { p, batches } = batching({ batchSize: 2 }, (m) => (m.data === 'bad' ? m.fail('no') : m));
    await p.start();
    const { successful, failed } = await testBatch(p, ['ok1', 'bad', 'ok2']);
    expect(batches.flatMap((b) => b.data)).toEqual(['ok1', 'ok2']);
    expect(successful.map((m) => m.data).sort()).toEqual(['ok1', 'ok2']);
    expect(failed.map((m) => m.data)).toEqual(['bad']);
  });

  it('routes messages to the batcher they name', async () => {
    const seen: [string, unknown[]][] = [];
    const p = pipeline({
      producer: { module: idle() },
      processors: { default: {} },
      batchers: { s3: { batchSize: 2 }, db: { batchSize: 2 } },
      handleMessage: (_p, m) => m.putBatcher(typeof m.data === 'number' ? 'db' : 's3'),
      handleBatch(batcher, messages) {
        seen.push([batcher, messages.map((m) => m.data)]);
        return messages;
      },
    });
    await p.start();
    await testBatch(p, [1, 'a', 2, 'b']);
    expect(seen.sort()).toEqual([
      ['db', [1, 2]],
      ['s3', ['a', 'b']],
    ]);
  });

  it('fails and acks the messages handleBatch does not return', async () => {
    const p = pipeline({
      producer: { module: idle() },
      processors: { default: {} },
      batchers: { default: { batchSize: 3 } },
      handleMessage: (_p, m) => m,
      handleBatch: (_b, messages) => messages.filter((m) => m.data !== 2),
    });
    await p.start();
    const { successful, failed } = await testBatch(p, [1, 2, 3]);
    expect(successful.map((m) => m.data).sort()).toEqual([1, 3]);
    expect(failed.map((m) => m.data)).toEqual([2]);
    expect((failed[0]?.status as { error: Error }).error.message).toBe(
      'handleBatch received 3 messages and returned 2; the missing ones are failed',
    );
  });

  // Issue 15: a message of an earlier batch returned again was acked twice.
  it('fails the whole batch when handleBatch returns a message of another batch, and acks none twice', async () => {
    const acks = recordingAcknowledger();
    const source = listProducer(range(4), acks.acknowledger);
    let earlier: Message | undefined;
    const p = pipeline({
      producer: { module: source.module },
      processors: { default: { concurrency: 1, maxDemand: 4, minDemand: 0 } },
      batchers: { default: { batchSize: 2 } },
      handleMessage: (_p, m) => m,
      handleBatch(_b, messages) {
        if (earlier === undefined) {
          earlier = messages[0];
          return messages;
        }
        return [...messages, earlier];
      },
    });
    await p.start();
    await p.stop();
    expect(acks.successful().sort()).toEqual([0, 1]);
    expect(acks.failed().sort()).toEqual([2, 3]);
    const error = p.logger.lines.find((l) => l.level === 'error');
    expect(error?.object).toMatchObject({
      err: {
        code: 'ERR_BAD_RETURN',
        message: 'handleBatch must return Messages of its own batch, got one that is not (id 0)',
      },
    });
    expect(p.stats()).toMatchObject({ successful: 2, failed: 2, inFlight: 0 });
  });

  it.each([
    ['a new array', (messages: Message[]) => [...messages, 'junk' as never]],
    ['the array it was given', (messages: Message[]) => (messages.push('junk' as never), messages)],
  ])(
    'fails the whole batch when handleBatch returns a non-Message in %s',
    async (_where, handleBatch) => {
      const p = pipeline({
        producer: { module: idle() },
        processors: { default: {} },
        batchers: { default: { batchSize: 2 } },
        handleMessage: (_p, m) => m,
        handleBatch: (_b, messages) => handleBatch(messages),
      });
      await p.start();
      const { successful, failed } = await testBatch(p, [1, 2]);
      expect(successful).toEqual([]);
      expect(failed.map((m) => m.data).sort()).toEqual([1, 2]);
      expect(failed[0]?.status).toMatchObject({
        kind: 'error',
        callback: 'handleBatch',
        error: { code: 'ERR_BAD_RETURN', message: "handleBatch must return Messages, got 'junk'" },
      });
    },
  );

  it('fails the whole batch when handleBatch throws, and calls handleFailed once with it', async () => {
    const handleFailedCalls: unknown[][] = [];
    const p = pipeline({
      producer: { module: idle() },
      processors: { default: {} },
      batchers: { default: { batchSize: 2 } },
      handleMessage: (_p, m) => m,
      handleBatch() {
        throw new Error('sink down');
      },
      handleFailed(messages) {
        handleFailedCalls.push(messages.map((m) => m.data));
        return messages;
      },
    });
    await p.start();
    const { failed } = await testBatch(p, [1, 2]);
    expect(failed.map((m) => m.data).sort()).toEqual([1, 2]);
    expect(handleFailedCalls).toEqual([[1, 2]]);
    expect(failed[0]?.status).toMatchObject({
      kind: 'error',
      callback: 'handleBatch',
      error: { message: 'sink down' },
    });
  });

  it('acks each message by the status handleBatch left it in', async () => {
    const acks = recordingAcknowledger();
    const source = listProducer(range(4), acks.acknowledger);
    const p = pipeline({
      producer: { module: source.module },
      processors: { default: { concurrency: 1 } },
      batchers: { default: { batchSize: 4 } },
      handleMessage: (_p, m) => m,
      handleBatch: (_b, messages) =>
        messages.map((m) => ((m.data as number) % 2 === 1 ? m.fail('odd') : m)),
    });
    await p.start();
    await p.stop();
    expect(acks.calls).toEqual([{ ref: 'ref', successful: [0, 2], failed: [1, 3] }]);
  });

  it('batches by a custom accumulator, and starts the next batch from the returned acc', async () => {
    const { p, batches } = batching({
      batchSize: {
        initial: 0,
        accumulate: (m: Message, acc: number) => {
          const size = acc + (m.data as string).length;
          return size >= 6 ? { emit: true, acc: size - 6 } : { emit: false, acc: size };
        },
      },
    });
    await p.start();
    await testBatch(p, ['aaa', 'bbbb', 'ccccc']);
    // 3 + 4 = 7 ≥ 6: emit [aaa, bbbb], carry 1; 1 + 5 = 6: emit [ccccc]
    expect(batches.map((b) => b.data)).toEqual([['aaa', 'bbbb'], ['ccccc']]);
  });

  it('holds the processors back while closed batches wait for a busy batch processor', async () => {
    const acks = recordingAcknowledger();
    const source = listProducer(range(100), acks.acknowledger);
    let handled = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const p = pipeline({
      producer: { module: source.module },
      processors: { default: { concurrency: 1, maxDemand: 2, minDemand: 1 } },
      batchers: { default: { batchSize: 1, concurrency: 1 } },
      handleMessage: (_p, m) => {
        handled++;
        return m;
      },
      handleBatch: async (_b, messages) => {
        await gate;
        return messages;
      },
    });
    await p.start();
    await settle();
    // Batch 1 runs, batch 2 waits for the lane, batch 3 is one too many:
    // the processor waits before it takes message 4. The producer is at
    // most the processor's demand (2) ahead.
    expect(handled).toBe(3);
    expect(source.emitted()).toBeLessThanOrEqual(5);
    release();
    await until(() => acks.calls.flatMap((c) => c.successful).length === 100);
    expect(acks.calls.flatMap((c) => c.successful)).toEqual(range(100));
  });

  it('runs at most concurrency batches at once, and uses every lane', async () => {
    let running = 0;
    let most = 0;
    const p = pipeline({
      producer: { module: idle() },
      processors: { default: { concurrency: 2 } },
      batchers: { default: { batchSize: 1, concurrency: 3 } },
      handleMessage: (_p, m) => m,
      handleBatch: async (_b, messages) => {
        most = Math.max(most, ++running);
        await new Promise((resolve) => setImmediate(resolve));
        running--;
        return messages;
      },
    });
    await p.start();
    const { successful } = await testBatch(p, range(30));
    expect(successful).toHaveLength(30);
    expect(most).toBe(3);
  });

  it('fails the messages handleBatch removed from its array, even when it returns that array', async () => {
    const p = pipeline({
      producer: { module: idle() },
      processors: { default: {} },
      batchers: { default: { batchSize: 3 } },
      handleMessage: (_p, m) => m,
      handleBatch: (_b, messages) => {
        messages.splice(0, 1);
        return messages;
      },
    });
    await p.start();
    const { successful, failed } = await testBatch(p, [1, 2, 3]);
    expect(successful.map((m) => m.data).sort()).toEqual([2, 3]);
    expect(failed.map((m) => m.data)).toEqual([1]);
  });

  it.each([
    [
      'throws',
      () => {
        throw new Error('cannot size');
      },
    ],
    ['returns something else', () => 42 as never],
  ])('fails the message whose custom batch size %s, and batches the rest', async (_what, bad) => {
    const p = pipeline({
      producer: { module: idle() },
      processors: { default: { concurrency: 1 } },
      batchers: {
        default: {
          batchSize: {
            initial: 0,
            accumulate: (m: Message, n: number) =>
              m.data === 'bad' ? bad() : { emit: n + 1 >= 3, acc: n + 1 === 3 ? 0 : n + 1 },
          },
        },
      },
      handleMessage: (_p, m) => m,
      handleBatch: (_b, messages) => messages,
    });
    await p.start();
    const { successful, failed } = await testBatch(p, ['a', 'bad', 'b', 'c']);
    expect(successful.map((m) => m.data).sort()).toEqual(['a', 'b', 'c']);
    expect(failed.map((m) => m.data)).toEqual(['bad']);
    expect(failed[0]?.status).toMatchObject({ kind: 'error', callback: 'batchSize' });
    expect((await p.stop()).unacked).toBe(0);
  });

  it('leaves no batch or timer behind when a processor finishes after stop() gave up', async () => {
    fakeTimers();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const p = pipeline({
      producer: { module: idle() },
      processors: { default: { concurrency: 1 } },
      batchers: { default: { batchSize: 10, batchTimeout: 60_000 } },
      shutdownTimeout: 100,
      handleMessage: async (_p, m) => {
        await gate;
        return m;
      },
      handleBatch: (_b, messages) => messages,
    });
    await p.start();
    void testMessage(p, 1);
    await settle();
    const stopping = p.stop();
    await advance(100);
    expect(await stopping).toEqual({ unacked: 1, timedOut: true });
    release();
    await settle();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('with partitionBy, sends batches of one partition to the same batch processor', async () => {
    const byProcessor = new Map<number, Set<unknown>>();
    const p = pipeline({
      producer: { module: idle() },
      processors: { default: { concurrency: 2 } },
      batchers: { default: { batchSize: 2, concurrency: 3, partitionBy: (m) => m.data as number } },
      handleMessage: (_p, m) => m,
      handleBatch(_b, messages, info) {
        const set = byProcessor.get(info.partition as number) ?? new Set();
        for (const m of messages) set.add(m.data);
        byProcessor.set(info.partition as number, set);
        return messages;
      },
    });
    await p.start();
    await testBatch(p, [0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5]);
    expect([...byProcessor.entries()].sort()).toEqual([
      [0, new Set([0, 3])],
      [1, new Set([1, 4])],
      [2, new Set([2, 5])],
    ]);
  });
});
