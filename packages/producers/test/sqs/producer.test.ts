import diagnostics from 'node:diagnostics_channel';
import {
  createPipeline,
  pipelineChannels,
  type Message,
  type Pipeline,
  type PipelineDefinition,
} from '@sluice/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BrokerError } from '../../src/errors.ts';
import {
  ATTEMPTS_ATTRIBUTE,
  FAILURE_REASON_ATTRIBUTE,
  sqsChannels,
  sqsProducer,
  type SqsMetadata,
  type SqsProducerOptions,
} from '../../src/sqs/index.ts';
import { FakeSqs, memoryLogger, settle } from './fake-sqs.ts';

const queueUrl = 'http://127.0.0.1:9324/000000000000/orders';
const dlqUrl = 'http://127.0.0.1:9324/000000000000/orders-dlq';

let pipeline: Pipeline | undefined;
afterEach(async () => {
  await pipeline?.stop();
  pipeline = undefined;
  vi.useRealTimers();
});

function start(
  sqs: FakeSqs,
  options: Partial<SqsProducerOptions>,
  definition: Partial<PipelineDefinition> = {},
) {
  const { logger, lines } = memoryLogger();
  pipeline = createPipeline({
    name: 'sqs-unit',
    logger,
    producer: { module: sqsProducer({ queueUrl, client: sqs, ...options }) },
    processors: { default: { concurrency: 4 } },
    handleMessage: (_p, m) => m,
    ...definition,
  });
  return { pipeline, lines, started: pipeline.start() };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000 && !condition(); i++) await new Promise((r) => setTimeout(r, 2));
  if (!condition()) throw new Error(`timed out waiting for ${what}`);
}

function listen(channel: string) {
  const events: unknown[] = [];
  const fn = (e: unknown) => events.push(e);
  diagnostics.subscribe(channel, fn);
  return { events, dispose: () => diagnostics.unsubscribe(channel, fn) };
}

describe('sqsProducer against a fake client', () => {
  it('emits each message with its body as data, its id, and its SQS metadata', async () => {
    const sqs = new FakeSqs();
    sqs.publish(1, {
      attributes: { ApproximateReceiveCount: '0', MessageGroupId: 'g1', SequenceNumber: '7' },
      messageAttributes: { kind: { dataType: 'String', stringValue: 'order' } },
    });
    const seen: Message[] = [];
    const { started } = start(sqs, {}, { handleMessage: (_p, m) => (seen.push(m), m) });
    await started;
    await until(() => sqs.deleted.length === 1, 'the delete');
    const m = seen[0] as Message<string, SqsMetadata>;
    expect(m.data).toBe('body-0');
    expect(m.id).toBe('m0');
    expect(m.metadata).toEqual({
      messageId: 'm0',
      receiptHandle: 'r0-m0',
      md5OfBody: 'md5',
      attributes: { ApproximateReceiveCount: '1', MessageGroupId: 'g1', SequenceNumber: '7' },
      messageAttributes: { kind: { dataType: 'String', stringValue: 'order' } },
      messageGroupId: 'g1',
      sequenceNumber: '7',
    });
  });

  it('never asks SQS for more than the pipeline demanded', async () => {
    const sqs = new FakeSqs();
    const release: (() => void)[] = [];
    let hold = true;
    const { started } = start(
      sqs,
      {},
      {
        processors: { default: { concurrency: 1, maxDemand: 3, minDemand: 1 } },
        handleMessage: (_p, m) => (hold ? new Promise((r) => release.push(() => r(m))) : m),
      },
    );
    await started;
    await settle();
    expect(sqs.receives.map((r) => r.maxNumberOfMessages)).toEqual([3]);
    sqs.publish(50);
    await until(() => release.length === 1, 'the first message');
    await settle();
    // The processor holds 3 and works on one: no more receives until it asks again.
    expect(sqs.receives.map((r) => r.maxNumberOfMessages)).toEqual([3]);
    expect(sqs.inFlight.size).toBe(3);
    release.shift()?.();
    await until(() => release.length === 1, 'the second message');
    release.shift()?.();
    await until(() => sqs.receives.length === 2, 'the next receive');
    expect(sqs.receives[1]?.maxNumberOfMessages).toBe(2);
    hold = false;
    for (const r of release) r();
    await until(() => sqs.deleted.length === 50, 'every delete');
    expect(Math.max(...sqs.receives.map((r) => r.maxNumberOfMessages))).toBe(3);
  });

  it('runs several receives in parallel when demand exceeds 10, up to maxConcurrentReceives', async () => {
    const sqs = new FakeSqs();
    const { started } = start(
      sqs,
      { maxConcurrentReceives: 5 },
      { processors: { default: { concurrency: 100, maxDemand: 1 } } },
    );
    await started;
    await settle();
    // An empty queue: one long poll only, until messages come.
    expect(sqs.parked.length).toBe(1);
    sqs.publish(1000);
    await until(() => sqs.deleted.length === 1000, 'every delete');
    expect(sqs.maxConcurrentReceives).toBe(5);
    expect(sqs.receives.every((r) => r.maxNumberOfMessages <= 10)).toBe(true);
  });

  it('deletes successes in batches of 10 coalesced across acks', async () => {
    const sqs = new FakeSqs();
    const { started } = start(
      sqs,
      { ackWindowMs: 50 },
      { processors: { default: { concurrency: 25, maxDemand: 1 } } },
    );
    sqs.publish(25);
    await started;
    await until(() => sqs.deleted.length === 25, 'every delete');
    expect(sqs.deleteCalls.map((c) => c.length)).toEqual([10, 10, 5]);
    expect(new Set(sqs.deleted).size).toBe(25);
  });

  it('retries entries SQS failed on its side, and reports the ones refused for good with their ids', async () => {
    const sqs = new FakeSqs();
    let calls = 0;
    sqs.onDelete = (entries) => {
      calls += 1;
      if (calls > 1) return undefined;
      return {
        successful: entries.slice(2).map((e) => ({ id: e.id })),
        failed: [
          { id: entries[0]!.id, code: 'InternalError', message: 'try again', senderFault: false },
          {
            id: entries[1]!.id,
            code: 'ReceiptHandleIsInvalid',
            message: 'bad handle',
            senderFault: true,
          },
        ],
      };
    };
    const deletes = listen(sqsChannels.delete);
    const ackErrors = listen(pipelineChannels.ackError);
    const { started, lines } = start(
      sqs,
      { ackWindowMs: 50 },
      { processors: { default: { concurrency: 4, maxDemand: 4 } } },
    );
    sqs.publish(4);
    await started;
    await until(() => ackErrors.events.length === 1, 'the ack error');
    deletes.dispose();
    ackErrors.dispose();
    // First call: 2 deleted, 1 retried (then deleted), 1 refused.
    expect(sqs.deleteCalls.map((c) => c.length)).toEqual([4, 1]);
    const refused = sqs.deleteCalls[0]![1]!.receiptHandle.split('-')[1];
    const error = (ackErrors.events[0] as { error: BrokerError }).error;
    expect(error).toBeInstanceOf(BrokerError);
    expect(error.message).toContain('ReceiptHandleIsInvalid');
    expect(error.message).toContain(refused);
    expect(deletes.events).toContainEqual(
      expect.objectContaining({
        count: 3,
        failed: [{ messageId: refused, code: 'ReceiptHandleIsInvalid', message: 'bad handle' }],
        attempts: 2,
      }),
    );
    expect(lines.some((l) => l.level === 'warn' && l.message?.includes('refused to delete'))).toBe(
      true,
    );
  });

  it('retries a whole delete call that was throttled, then deletes', async () => {
    const sqs = new FakeSqs();
    let calls = 0;
    sqs.onDelete = () =>
      calls++ === 0
        ? new BrokerError('ERR_BROKER_REQUEST', 'sqs', 'throttled', {
            cause: Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }),
          })
        : undefined;
    const deletes = listen(sqsChannels.delete);
    const ackErrors = listen(pipelineChannels.ackError);
    const { started } = start(
      sqs,
      {},
      { processors: { default: { concurrency: 1, maxDemand: 3 } } },
    );
    sqs.publish(3);
    await started;
    await until(() => sqs.deleted.length === 3, 'the deletes');
    deletes.dispose();
    ackErrors.dispose();
    expect(sqs.deleteCalls.map((c) => c.length)).toEqual([3, 3]);
    expect(deletes.events).toEqual([{ queueUrl, count: 3, failed: [], attempts: 2 }]);
    expect(ackErrors.events).toEqual([]);
  });

  it("leaves failures alone with onFailure 'noop'", async () => {
    const sqs = new FakeSqs();
    const { started } = start(sqs, {}, { handleMessage: (_p, m) => m.fail('no') });
    sqs.publish(3);
    await started;
    await until(() => sqs.inFlight.size === 3 && sqs.visible.length === 0, 'the receive');
    await pipeline?.stop();
    expect(sqs.deleteCalls).toEqual([]);
    expect(sqs.visibilityCalls).toEqual([]);
    expect(sqs.inFlight.size).toBe(3);
  });

  it("delays failures with onFailure 'retry', doubling with each receive", async () => {
    const sqs = new FakeSqs();
    const counts = ['1', '2', '4'];
    for (const c of counts) {
      sqs.publish(1, { attributes: { ApproximateReceiveCount: String(Number(c) - 1) } });
    }
    const { started } = start(
      sqs,
      { onFailure: 'retry', retryBackoff: { initial: 5000, max: 30_000 } },
      { handleMessage: (_p, m) => m.fail('later') },
    );
    await started;
    await until(() => sqs.visibilityCalls.flat().length === 3, 'the visibility changes');
    const byId = Object.fromEntries(
      sqs.visibilityCalls
        .flat()
        .map((e): [string, number] => [e.receiptHandle.split('-')[1] ?? '', e.visibilityTimeout]),
    );
    expect(byId).toEqual({ m0: 5, m1: 10, m2: 30 });
    expect(sqs.deleteCalls).toEqual([]);
  });

  it("deletes failures with onFailure 'delete'", async () => {
    const sqs = new FakeSqs();
    const { started } = start(
      sqs,
      { onFailure: 'delete' },
      { handleMessage: (_p, m) => m.fail('x') },
    );
    sqs.publish(3);
    await started;
    await until(() => sqs.deleted.length === 3, 'the deletes');
  });

  it('sends failures to the dead-letter queue with the reason, then deletes them', async () => {
    const sqs = new FakeSqs();
    const dead = listen(sqsChannels.deadLetter);
    const { started } = start(
      sqs,
      { onFailure: 'deadLetter', deadLetterQueueUrl: dlqUrl },
      {
        handleMessage: (_p, m) => {
          if (m.data === 'body-1') throw new TypeError('bad order');
          return m;
        },
      },
    );
    sqs.publish(3, { messageAttributes: { kind: { dataType: 'String', stringValue: 'order' } } });
    await started;
    await until(() => sqs.deleted.length === 3, 'the deletes');
    dead.dispose();
    expect(sqs.sendCalls).toEqual([
      {
        queueUrl: dlqUrl,
        entries: [
          {
            id: '0',
            body: 'body-1',
            messageAttributes: {
              kind: { dataType: 'String', stringValue: 'order' },
              [ATTEMPTS_ATTRIBUTE]: { dataType: 'Number', stringValue: '1' },
              [FAILURE_REASON_ATTRIBUTE]: {
                dataType: 'String',
                stringValue: 'TypeError: bad order',
              },
            },
          },
        ],
      },
    ]);
    expect(dead.events).toEqual([{ queueUrl, deadLetterQueueUrl: dlqUrl, count: 1, failed: [] }]);
  });

  it('lets a message override the failure policy with configureAck', async () => {
    const sqs = new FakeSqs();
    const { started } = start(
      sqs,
      {},
      {
        handleMessage: (_p, m) =>
          m.data === 'body-0' ? m.configureAck({ onFailure: 'delete' }).fail('x') : m.fail('y'),
      },
    );
    sqs.publish(2);
    await started;
    await until(() => sqs.deleted.length === 1, 'the delete');
    await pipeline?.stop();
    expect(sqs.deleted).toEqual(['m0']);
  });

  it('rejects unknown ack options in configureAck', async () => {
    const sqs = new FakeSqs();
    const errors: unknown[] = [];
    const { started } = start(
      sqs,
      {},
      {
        handleMessage: (_p, m) => {
          try {
            m.configureAck({ onFailure: 'requeue' });
          } catch (e) {
            errors.push(e);
          }
          try {
            m.configureAck({ onFailure: 'deadLetter' });
          } catch (e) {
            errors.push(e);
          }
          return m;
        },
      },
    );
    sqs.publish(1);
    await started;
    await until(() => sqs.deleted.length === 1, 'the delete');
    expect(errors.map((e) => (e as Error).message)).toEqual([
      "configureAck: onFailure: expected one of 'noop', 'retry', 'delete', 'deadLetter', got \"requeue\"",
      "configureAck: onFailure 'deadLetter' needs the producer's deadLetterQueueUrl",
    ]);
  });

  it('aborts a long poll at once when draining, losing nothing', async () => {
    const sqs = new FakeSqs();
    const { started } = start(sqs, { waitTimeSeconds: 20 });
    await started;
    await settle();
    expect(sqs.parked.length).toBe(1);
    const signal = sqs.receives[0]?.signal;
    const stopped = await pipeline!.stop();
    expect(signal?.aborted).toBe(true);
    expect(sqs.parked.length).toBe(0);
    expect(stopped).toEqual({ unacked: 0, timedOut: false });
    // A message published afterwards stays on the queue.
    sqs.publish(1);
    expect(sqs.visible.length).toBe(1);
  });

  it('finishes and deletes the messages in flight when stopped', async () => {
    const sqs = new FakeSqs();
    const release: (() => void)[] = [];
    const { started } = start(
      sqs,
      {},
      {
        processors: { default: { concurrency: 4, maxDemand: 1 } },
        handleMessage: (_p, m) => new Promise((r) => release.push(() => r(m))),
      },
    );
    sqs.publish(4);
    await started;
    await until(() => release.length === 4, 'four messages in handlers');
    const stopping = pipeline!.stop();
    for (const r of release) r();
    expect(await stopping).toEqual({ unacked: 0, timedOut: false });
    expect(sqs.deleted.sort()).toEqual(['m0', 'm1', 'm2', 'm3']);
    expect(sqs.inFlight.size).toBe(0);
  });

  it('backs off and reports receive errors, then goes on', async () => {
    const sqs = new FakeSqs();
    let failures = 2;
    sqs.onReceive = () =>
      failures-- > 0 ? new BrokerError('ERR_BROKER_UNREACHABLE', 'sqs', 'refused') : undefined;
    const exceptions = listen(sqsChannels.receiveException);
    const { started, lines } = start(sqs, {});
    sqs.publish(2);
    await started;
    await until(() => sqs.deleted.length === 2, 'the deletes after the errors');
    exceptions.dispose();
    expect(exceptions.events).toHaveLength(2);
    expect(exceptions.events[0]).toMatchObject({
      queueUrl,
      index: 0,
      demand: 10,
      retryInMs: expect.any(Number) as unknown,
    });
    expect(lines.filter((l) => l.message?.startsWith('SQS receive failed'))).toHaveLength(2);
  });

  it('fails start() with a clear error when the queue does not exist', async () => {
    const sqs = new FakeSqs();
    sqs.missingQueues.add(queueUrl);
    const { started } = start(sqs, {});
    await expect(started).rejects.toMatchObject({
      code: 'ERR_QUEUE_NOT_FOUND',
      message: `sqs producer cannot start: queue ${queueUrl} does not exist`,
    });
    pipeline = undefined;
  });

  it('fails start() with the reason SQS gives for bad credentials', async () => {
    const sqs = new FakeSqs();
    sqs.getQueueAttributes = () =>
      Promise.reject(
        new BrokerError(
          'ERR_BROKER_REQUEST',
          'sqs',
          `SQS GetQueueAttributes on ${queueUrl} failed: InvalidClientTokenId: The security token included in the request is invalid.`,
        ),
      );
    const { started } = start(sqs, {});
    await expect(started).rejects.toMatchObject({
      code: 'ERR_BROKER_REQUEST',
      message: `sqs producer cannot start: SQS GetQueueAttributes on ${queueUrl} failed: InvalidClientTokenId: The security token included in the request is invalid.`,
    });
    pipeline = undefined;
  });

  it('fails start() when the dead-letter queue does not exist', async () => {
    const sqs = new FakeSqs();
    sqs.missingQueues.add(dlqUrl);
    const { started } = start(sqs, { onFailure: 'deadLetter', deadLetterQueueUrl: dlqUrl });
    await expect(started).rejects.toMatchObject({ code: 'ERR_QUEUE_NOT_FOUND' });
    pipeline = undefined;
  });

  it('warns at start when the visibility timeout is shorter than batchTimeout plus a margin', async () => {
    const sqs = new FakeSqs();
    const { started, lines } = start(
      sqs,
      { visibilityTimeout: 6 },
      {
        batchers: { db: { batchTimeout: 2000 } },
        handleMessage: (_p, m) => m.putBatcher('db'),
        handleBatch: (_b, ms) => ms,
      },
    );
    await started;
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        object: {
          code: 'WARN_SQS_VISIBILITY_TIMEOUT_SHORT',
          visibilityTimeout: 6,
          batchTimeout: 2000,
          marginMs: 5000,
        },
      }),
    );
  });

  it('publishes receive start and stop with the demand and the count', async () => {
    const sqs = new FakeSqs();
    const starts = listen(sqsChannels.receiveStart);
    const stops = listen(sqsChannels.receiveStop);
    sqs.publish(3);
    const { started } = start(
      sqs,
      {},
      { processors: { default: { concurrency: 1, maxDemand: 5 } } },
    );
    await started;
    await until(() => sqs.deleted.length === 3, 'the deletes');
    starts.dispose();
    stops.dispose();
    expect(starts.events[0]).toEqual({ queueUrl, index: 0, demand: 5 });
    expect(stops.events[0]).toMatchObject({ queueUrl, index: 0, demand: 5, count: 3 });
  });
});

describe('visibility heartbeat', () => {
  it('extends in-flight messages in batches before they expire, and stops once they are acked', async () => {
    vi.useFakeTimers({
      toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
    });
    const sqs = new FakeSqs();
    const visibility = listen(sqsChannels.visibility);
    const release: (() => void)[] = [];
    const { started } = start(
      sqs,
      { visibilityTimeout: 8, ackWindowMs: 0 },
      {
        processors: { default: { concurrency: 12, maxDemand: 1 } },
        handleMessage: (_p, m) => new Promise((r) => release.push(() => r(m))),
      },
    );
    sqs.publish(12);
    await started;
    for (let i = 0; i < 50 && release.length < 12; i++) await settle();
    expect(release).toHaveLength(12);
    // Ticks every 2 s; a message is extended once less than 4 s is left.
    await vi.advanceTimersByTimeAsync(2000);
    expect(sqs.visibilityCalls).toEqual([]);
    await vi.advanceTimersByTimeAsync(2000);
    await settle();
    expect(sqs.visibilityCalls.map((c) => c.length)).toEqual([10, 2]);
    expect(sqs.visibilityCalls.flat().every((e) => e.visibilityTimeout === 8)).toBe(true);
    // Extended at 4 s, until 12 s: due again at 8 s.
    await vi.advanceTimersByTimeAsync(2000);
    expect(sqs.visibilityCalls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(2000);
    await settle();
    expect(sqs.visibilityCalls).toHaveLength(4);
    for (const r of release) r();
    for (let i = 0; i < 20 && sqs.deleted.length < 12; i++) {
      await settle();
      await vi.advanceTimersByTimeAsync(1);
    }
    expect(sqs.deleted).toHaveLength(12);
    await vi.advanceTimersByTimeAsync(20_000);
    expect(sqs.visibilityCalls).toHaveLength(4);
    visibility.dispose();
    expect(visibility.events[0]).toEqual({
      queueUrl,
      reason: 'heartbeat',
      count: 10,
      failed: [],
      attempts: 1,
    });
  });

  it('does not extend when extendVisibility is false', async () => {
    vi.useFakeTimers({
      toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
    });
    const sqs = new FakeSqs();
    const release: (() => void)[] = [];
    const { started } = start(
      sqs,
      { visibilityTimeout: 2, extendVisibility: false },
      { handleMessage: (_p, m) => new Promise((r) => release.push(() => r(m))) },
    );
    sqs.publish(1);
    await started;
    for (let i = 0; i < 50 && release.length < 1; i++) await settle();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(sqs.visibilityCalls).toEqual([]);
    release[0]?.();
    for (let i = 0; i < 20 && sqs.deleted.length < 1; i++) {
      await settle();
      await vi.advanceTimersByTimeAsync(10);
    }
    expect(sqs.deleted).toEqual(['m0']);
  });
});
