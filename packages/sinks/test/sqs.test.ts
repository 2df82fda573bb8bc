/**
 * The SQS sink against ElasticMQ (SQS_ENDPOINT, default 127.0.0.1:9324),
 * through a real pipeline: every acked message is on the queue exactly
 * once, with its trace context; an entry SQS refuses fails its message
 * alone. Retries of entries SQS failed on its side use a scripted client
 * (ElasticMQ never fails an entry on its side).
 */
import type { Pipeline } from '@sluice/core';
import type { SqsBatchResult, SqsClient, SqsSendEntry } from '@sluice/producers/sqs';
import { createTestQueue, type SqsTestQueue } from '@sluice/producers/sqs/testing';
import { describeWithBroker } from '@sluice/producers/testing/vitest';
import { testBatch } from '@sluice/testing';
import { afterEach, describe, expect, it } from 'vitest';
import type { Sink } from '../src/index.ts';
import { sqsSink, type SqsSinkOptions } from '../src/sqs/index.ts';
import { json, sinkPipeline, traceOutgoing, traceparentOf } from './broker-pipeline.ts';

const order = (id: number) => ({ id, item: `sku-${id}` });
const reasonOf = (m: { status: unknown }) =>
  (m.status as { reason: Error & { code: string } }).reason;

describeWithBroker('sqs', 'sqs sink', () => {
  const open: { pipeline?: Pipeline; sink?: Sink; queue?: SqsTestQueue; untrace?: () => void } = {};

  afterEach(async () => {
    open.untrace?.();
    await open.pipeline?.stop();
    await open.sink?.close();
    await open.queue?.delete();
    for (const k of Object.keys(open)) delete open[k as keyof typeof open];
  });

  const start = async (batchSize: number, options: Partial<SqsSinkOptions> = {}) => {
    open.queue = await createTestQueue();
    open.sink = sqsSink({ queueUrl: open.queue.url, ...options }, { client: open.queue.client });
    open.pipeline = await sinkPipeline(open.sink, batchSize);
    return open.pipeline;
  };

  it('sends every acked message exactly once, in calls of 10, with its traceparent', async () => {
    open.untrace = traceOutgoing();
    const pipeline = await start(45);
    const data = Array.from({ length: 90 }, (_, i) => order(i));
    const { successful, failed } = await testBatch(pipeline, data);
    expect(failed).toEqual([]);
    expect(successful).toHaveLength(90);
    const received = await open.queue!.drain();
    expect(received.map((m) => json(m.body)).sort((a, b) => a.id - b.id)).toEqual(data);
    for (const m of received) {
      const { id } = json(m.body);
      expect(m.messageAttributes['traceparent']?.stringValue).toBe(traceparentOf(id));
    }
  });

  it('fails only the entry SQS refuses mid-batch; the others land once', async () => {
    const pipeline = await start(5);
    // SQS refuses a body with a NUL character, as the sender's fault.
    const data = [order(1), order(2), 'bad \u0000 body', order(4), order(5)];
    const { successful, failed } = await testBatch(pipeline, data);
    expect(successful.map((m) => m.data)).toEqual([order(1), order(2), order(4), order(5)]);
    expect(failed.map((m) => m.data)).toEqual(['bad \u0000 body']);
    expect(reasonOf(failed[0]!).code).toBe('ERR_SINK_REFUSED');
    expect(reasonOf(failed[0]!).message).toMatch(/^SQS queue .*: SQS refused the entry: \w+/);
    const bodies = (await open.queue!.drain()).map((m) => json(m.body));
    expect(bodies.sort((a, b) => a.id - b.id)).toEqual([order(1), order(2), order(4), order(5)]);
  });

  it('probe: reaches the queue, writing nothing; a missing queue is named', async () => {
    await start(1);
    await expect(open.sink!.probe!()).resolves.toBeUndefined();
    const missing = sqsSink(
      { queueUrl: `${open.queue!.url}-missing` },
      { client: open.queue!.client },
    );
    await expect(missing.probe!()).rejects.toThrow(/missing/);
    expect(await open.queue!.drain()).toEqual([]);
  });
});

describe('sqs sink, with a scripted client', () => {
  /** A client whose answers the test scripts per call; it records what it was sent. */
  const scripted = (answers: ((entries: readonly SqsSendEntry[]) => SqsBatchResult)[]) => {
    const calls: string[][] = [];
    const client = {
      sendMessageBatch: (_url: string, entries: readonly SqsSendEntry[]) => {
        calls.push(entries.map((e) => e.body));
        const answer = answers.shift();
        if (answer === undefined) throw new Error('no more answers');
        return Promise.resolve(answer(entries));
      },
    } as unknown as SqsClient;
    return { client, calls };
  };
  const ok = (entries: readonly SqsSendEntry[]): SqsBatchResult => ({
    successful: entries.map((e) => ({ id: e.id })),
    failed: [],
  });

  it('retries the entries SQS failed on its side, and only those, until they are written', async () => {
    const { client, calls } = scripted([
      (entries) => ({
        successful: entries.filter((e) => e.body !== 'b').map((e) => ({ id: e.id })),
        failed: entries
          .filter((e) => e.body === 'b')
          .map((e) => ({
            id: e.id,
            code: 'InternalError',
            message: 'try again',
            senderFault: false,
          })),
      }),
      ok,
    ]);
    const sink = sqsSink(
      { queueUrl: 'http://127.0.0.1:1/q', retryBackoff: { initial: 1, max: 1 } },
      { client },
    );
    const pipeline = await sinkPipeline(sink, 3);
    try {
      const { successful, failed } = await testBatch(pipeline, ['a', 'b', 'c']);
      expect(failed).toEqual([]);
      expect(successful).toHaveLength(3);
      expect(calls).toEqual([['a', 'b', 'c'], ['b']]);
    } finally {
      await pipeline.stop();
    }
  });

  it('fails the entries still failing once the retries are spent, saying why', async () => {
    const failing = (entries: readonly SqsSendEntry[]): SqsBatchResult => ({
      successful: [],
      failed: entries.map((e) => ({
        id: e.id,
        code: 'ServiceUnavailable',
        message: 'busy',
        senderFault: false,
      })),
    });
    const { client, calls } = scripted([failing, failing, failing]);
    const sink = sqsSink(
      { queueUrl: 'http://127.0.0.1:1/q', retries: 2, retryBackoff: { initial: 1, max: 1 } },
      { client },
    );
    const outcomes = await sink.write([{ data: 'a', id: 1 }] as never);
    expect(calls).toHaveLength(3);
    expect(outcomes[0]).toMatchObject({ ok: false });
    const reason = (outcomes[0] as { reason: Error & { code: string } }).reason;
    expect(reason.code).toBe('ERR_SINK_UNAVAILABLE');
    expect(reason.message).toBe(
      'SQS queue http://127.0.0.1:1/q: SQS failed the entry: ServiceUnavailable (busy) (after 3 tries)',
    );
  });

  it('rejects bad options naming the option and the value', () => {
    expect(() => sqsSink({ queueUrl: 'nope', retries: -1 })).toThrow(
      /queueUrl.*retries|retries.*queueUrl/s,
    );
  });
});
