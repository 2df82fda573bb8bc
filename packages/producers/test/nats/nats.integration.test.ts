import { describeWithBroker } from '@sluice/producers/testing/vitest';
import { afterEach, expect, it } from 'vitest';
import type { Message, Pipeline } from '@sluice/core';
import {
  FAILURE_REASON_HEADER,
  type NatsAckOptions,
  type NatsMetadata,
} from '../../src/nats/index.ts';
import { createTestStream, type NatsTestStream } from '../../src/nats/testing.ts';
import { natsPipeline, until } from './support.ts';

const decoder = new TextDecoder();

describeWithBroker('nats', 'natsProducer on NATS JetStream', () => {
  let s: NatsTestStream | undefined;
  let pipeline: Pipeline | undefined;
  afterEach(async () => {
    await pipeline?.stop();
    pipeline = undefined;
    await s?.delete();
    s = undefined;
  });

  it('runs 10,000 messages end to end: every one handled, none lost, the consumer left empty', async () => {
    s = await createTestStream();
    const total = 10_000;
    await s.publish(total);
    const seen = new Map<string, number>();
    pipeline = natsPipeline(
      s,
      { decode: 'string', partitionBy: 'none' },
      {
        processors: { default: { concurrency: 20 } },
        handleMessage: (_p, m) => {
          const body = m.data as string;
          seen.set(body, (seen.get(body) ?? 0) + 1);
          return m;
        },
      },
    );
    await pipeline.start();
    await until(() => seen.size >= total, `${total} messages`, 30_000);
    const report = await pipeline.stop();
    pipeline = undefined;
    expect(report).toEqual({ unacked: 0, timedOut: false });
    expect(seen.size).toBe(total);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    expect(await s.counts()).toEqual({ pending: 0, ackPending: 0, redelivered: 0 });
  }, 40_000);

  it('naks a failure with a delay, retries it, and dead-letters it after maxAttempts with its reason', async () => {
    s = await createTestStream();
    await s.publish(3);
    const attempts = new Map<string, number[]>();
    pipeline = natsPipeline(
      s,
      {
        decode: 'string',
        maxAttempts: 3,
        retryBackoff: { initial: 100, max: 200 },
        deadLetterSubject: s.deadLetterSubject,
      },
      {
        processors: { default: { concurrency: 2 } },
        handleMessage: (_p, m) => {
          const body = m.data as string;
          const meta = m.metadata as { deliveryCount: number };
          attempts.set(body, [...(attempts.get(body) ?? []), meta.deliveryCount]);
          return body === 'message-1' ? m.fail(new Error('bad order')) : m;
        },
      },
    );
    await pipeline.start();
    await until(async () => (await s!.deadLetters()).length === 1, 'one dead letter');
    await until(async () => (await s!.counts()).ackPending === 0, 'no unacked message');
    const [letter] = await s.deadLetters();
    expect(decoder.decode(letter!.data)).toBe('message-1');
    expect(letter!.headers[FAILURE_REASON_HEADER]).toEqual(['Error: bad order']);
    expect(attempts.get('message-1')).toEqual([1, 2, 3]);
    expect(attempts.get('message-0')).toEqual([1]);
    expect(attempts.get('message-2')).toEqual([1]);
  }, 15_000);

  it('follows configureAck per message: noop leaves it for redelivery, deadLetter gives it up at once, ack drops a failure', async () => {
    s = await createTestStream({ ackWaitMs: 1000 });
    await s.publish(4);
    const attempts = new Map<string, number[]>();
    pipeline = natsPipeline(
      s,
      { decode: 'string', maxAttempts: 5, deadLetterSubject: s.deadLetterSubject },
      {
        processors: { default: { concurrency: 2 } },
        handleMessage: (_p, message) => {
          const m = message as Message<string, NatsMetadata, NatsAckOptions>;
          const tries = [...(attempts.get(m.data) ?? []), m.metadata.deliveryCount];
          attempts.set(m.data, tries);
          if (m.data === 'message-0' && tries.length === 1) {
            return m.configureAck({ onSuccess: 'noop' });
          }
          if (m.data === 'message-1') {
            return m.configureAck({ onFailure: 'deadLetter' }).fail(new Error('refused'));
          }
          if (m.data === 'message-2') return m.configureAck({ onFailure: 'ack' }).fail('skip');
          return m;
        },
      },
    );
    await pipeline.start();
    // message-0 comes back once its ackWait (1 s) has passed, and is acked then.
    await until(() => attempts.get('message-0')?.length === 2, 'message-0 redelivered');
    await until(async () => (await s!.counts()).ackPending === 0, 'no unacked message');
    expect(await s.counts()).toMatchObject({ pending: 0, ackPending: 0 });
    expect(Object.fromEntries(attempts)).toEqual({
      'message-0': [1, 2],
      'message-1': [1],
      'message-2': [1],
      'message-3': [1],
    });
    const letters = await s.deadLetters();
    expect(letters.map((l) => decoder.decode(l.data))).toEqual(['message-1']);
    expect(letters[0]!.headers[FAILURE_REASON_HEADER]).toEqual(['Error: refused']);
  }, 25_000);

  it('keeps a slow message from redelivery with working() heartbeats (ackWait 1 s, handler 3 s)', async () => {
    s = await createTestStream({ ackWaitMs: 1000 });
    await s.publish(1);
    let calls = 0;
    pipeline = natsPipeline(
      s,
      {},
      {
        processors: { default: { concurrency: 2 } },
        handleMessage: async (_p, m) => {
          calls += 1;
          await new Promise((r) => setTimeout(r, 3000));
          return m;
        },
      },
    );
    await pipeline.start();
    await until(async () => calls === 1 && (await s!.counts()).ackPending === 0, 'the ack', 10_000);
    expect(calls).toBe(1);
    expect((await s.counts()).redelivered).toBe(0);
  }, 15_000);

  it('drains with a batcher on stop: what it took is acked, what it had not started is released at once', async () => {
    s = await createTestStream();
    await s.publish(500);
    const handled = new Map<string, number>();
    const definition = {
      processors: { default: { concurrency: 4 } },
      batchers: { out: { batchSize: 50, batchTimeout: 10_000 } },
      handleMessage: (_p: unknown, m: Message) => m.putBatcher('out'),
      handleBatch: (_b: unknown, messages: Message[]) => {
        for (const m of messages) {
          const body = decoder.decode(m.data as Uint8Array);
          handled.set(body, (handled.get(body) ?? 0) + 1);
        }
        return messages;
      },
    };
    pipeline = natsPipeline(s, {}, definition);
    await pipeline.start();
    await until(async () => (await s!.counts()).pending < 500, 'the first pulls');
    const report = await pipeline.stop();
    expect(report).toEqual({ unacked: 0, timedOut: false });
    const first = handled.size;
    expect(first).toBeGreaterThan(0);
    // The consumer's ackWait is 30 s: a second pipeline finishes well before
    // it, so nothing the first one held was left waiting for redelivery.
    pipeline = natsPipeline(s, {}, definition);
    await pipeline.start();
    await until(() => handled.size === 500, 'all 500 messages', 10_000);
    expect([...handled.values()].every((n) => n === 1)).toBe(true);
  }, 15_000);
});
