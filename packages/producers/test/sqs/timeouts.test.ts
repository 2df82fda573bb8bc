/**
 * Every SQS call the producer makes is bounded by `requestTimeout` (a
 * receive by its long poll plus `requestTimeout`): against an endpoint that
 * never answers, a call fails with ERR_BROKER_TIMEOUT and its request is
 * aborted, and a message whose delete timed out stays un-acked.
 */
import { createServer, type Socket } from 'node:net';
import { createPipeline, type Pipeline, type PipelineDefinition } from '@sluice/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isBrokerError } from '../../src/errors.ts';
import { sqsProducer, type SqsProducerOptions } from '../../src/sqs/index.ts';
import { resolveSqsOptions } from '../../src/sqs/options.ts';
import { AwsSqsClient } from '../../src/sqs/aws-sqs-client.ts';
import { TimedSqsClient } from '../../src/sqs/timed-client.ts';
import { FakeSqs, memoryLogger, settle } from './fake-sqs.ts';

const queueUrl = 'http://127.0.0.1:9324/000000000000/orders';
const dlqUrl = 'http://127.0.0.1:9324/000000000000/orders-dlq';

let pipeline: Pipeline | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await pipeline?.stop();
  pipeline = undefined;
});

function fakeTimers(): void {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
}

/** Records where a promise is, without awaiting it. */
function track<T>(promise: Promise<T>) {
  const state: { settled: boolean; value?: T; error?: unknown } = { settled: false };
  promise.then(
    (value) => Object.assign(state, { settled: true, value }),
    (error: unknown) => Object.assign(state, { settled: true, error }),
  );
  return state;
}

describe('requestTimeout option', () => {
  it('defaults to 10000 ms and must be a positive number of ms', () => {
    expect(resolveSqsOptions({ queueUrl }).requestTimeout).toBe(10_000);
    expect(resolveSqsOptions({ queueUrl, requestTimeout: 250 }).requestTimeout).toBe(250);
    expect(() => resolveSqsOptions({ queueUrl, requestTimeout: 0 })).toThrow(/requestTimeout/);
    expect(() => resolveSqsOptions({ queueUrl, requestTimeout: -1 })).toThrow(/requestTimeout/);
  });
});

describe('TimedSqsClient', () => {
  it.each([
    ['delete', 'DeleteMessageBatch', (c: TimedSqsClient) => c.deleteMessageBatch(queueUrl, [])],
    [
      'visibility',
      'ChangeMessageVisibilityBatch',
      (c: TimedSqsClient) => c.changeMessageVisibilityBatch(queueUrl, []),
    ],
    ['send', 'SendMessageBatch', (c: TimedSqsClient) => c.sendMessageBatch(dlqUrl, [])],
    ['attributes', 'GetQueueAttributes', (c: TimedSqsClient) => c.getQueueAttributes(queueUrl, [])],
  ] as const)(
    'fails a %s call that never answers after requestTimeout, aborting it',
    async (operation, name, call) => {
      fakeTimers();
      const sqs = new FakeSqs();
      sqs.hang.add(operation);
      const pending = track<unknown>(call(new TimedSqsClient(sqs, 1000)));
      await vi.advanceTimersByTimeAsync(999);
      expect(pending.settled).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(pending.settled).toBe(true);
      expect(isBrokerError(pending.error, 'ERR_BROKER_TIMEOUT')).toBe(true);
      expect((pending.error as Error).message).toBe(
        `SQS did not answer ${name} on ${name === 'SendMessageBatch' ? dlqUrl : queueUrl} within 1000 ms (requestTimeout); the call was abandoned`,
      );
      expect(sqs.abortedCalls).toEqual([operation]);
    },
  );

  it('gives a long poll its wait plus requestTimeout', async () => {
    fakeTimers();
    const sqs = new FakeSqs();
    sqs.hang.add('receive');
    const options = {
      maxNumberOfMessages: 10,
      waitTimeSeconds: 20,
      attributeNames: [],
      messageAttributeNames: [],
    };
    const pending = track(new TimedSqsClient(sqs, 1000).receiveMessages(queueUrl, options));
    await vi.advanceTimersByTimeAsync(20_999);
    expect(pending.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(isBrokerError(pending.error, 'ERR_BROKER_TIMEOUT')).toBe(true);
    expect((pending.error as Error).message).toContain('within 21000 ms');
    expect(sqs.abortedCalls).toEqual(['receive']);
  });

  it('passes the caller’s abort through, as an AbortError, not a timeout', async () => {
    const sqs = new FakeSqs();
    const abort = new AbortController();
    const receiving = new TimedSqsClient(sqs, 1000).receiveMessages(queueUrl, {
      maxNumberOfMessages: 1,
      waitTimeSeconds: 20,
      attributeNames: [],
      messageAttributeNames: [],
      signal: abort.signal,
    });
    await settle(1);
    abort.abort();
    await expect(receiving).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('answers as the client does when it answers in time', async () => {
    const sqs = new FakeSqs();
    expect(await new TimedSqsClient(sqs, 1000).getQueueAttributes(queueUrl, [])).toEqual({
      VisibilityTimeout: '30',
    });
  });
});

describe('over the AWS SDK, against a server that accepts and never answers', () => {
  it('fails a delete with ERR_BROKER_TIMEOUT and drops its connection', async () => {
    const sockets: Socket[] = [];
    const closed: Socket[] = [];
    const server = createServer((socket) => {
      sockets.push(socket);
      socket.resume(); // read the request (and so see its end), answer nothing
      socket.on('close', () => closed.push(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const aws = new AwsSqsClient({
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    try {
      const url = `http://127.0.0.1:${port}/000000000000/orders`;
      const deleting = new TimedSqsClient(aws, 300).deleteMessageBatch(url, [
        { id: '0', receiptHandle: 'r0' },
      ]);
      await expect(deleting).rejects.toMatchObject({
        name: 'BrokerError',
        code: 'ERR_BROKER_TIMEOUT',
        message: `SQS did not answer DeleteMessageBatch on ${url} within 300 ms (requestTimeout); the call was abandoned`,
      });
      expect(sockets.length).toBeGreaterThan(0);
      // The SDK gave up its request: the socket it opened is closed, not left hanging.
      for (let i = 0; i < 100 && closed.length < sockets.length; i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(closed.length).toBe(sockets.length);
    } finally {
      aws.close();
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('sqsProducer against an endpoint that stops answering', () => {
  function start(
    sqs: FakeSqs,
    options: Partial<SqsProducerOptions>,
    definition: Partial<PipelineDefinition> = {},
  ) {
    const { logger, lines } = memoryLogger();
    pipeline = createPipeline({
      name: 'sqs-timeouts',
      logger,
      producer: { module: sqsProducer({ queueUrl, client: sqs, ...options }) },
      processors: { default: { concurrency: 2 } },
      handleMessage: (_p, m) => m,
      shutdownTimeout: 60_000,
      ...definition,
    });
    return { lines, started: pipeline.start() };
  }

  /** Runs timers and the pipeline's scheduler until `condition`, at most `ms` of fake time. */
  async function runUntil(condition: () => boolean, ms: number): Promise<void> {
    for (let t = 0; t < ms && !condition(); t += 100) {
      await settle();
      await vi.advanceTimersByTimeAsync(100);
    }
    expect(condition()).toBe(true);
  }

  it('leaves a message un-acked when its delete times out, and says so', async () => {
    fakeTimers();
    const sqs = new FakeSqs();
    // A 1 s visibility timeout: past it the message is visible again, so
    // the delete is not tried beyond its two attempts.
    sqs.attributes = { VisibilityTimeout: '1' };
    const { started, lines } = start(sqs, { requestTimeout: 1000, ackAttempts: 2 });
    sqs.publish(1);
    await started;
    sqs.hang.add('delete');
    await runUntil(() => sqs.deleteCalls.length === 1, 1000);
    const stopping = track(pipeline!.stop());
    // Two attempts of 1 s each, with a backoff between them.
    await runUntil(() => pending(stopping) === false, 10_000);
    expect(stopping.value).toEqual({ unacked: 1, timedOut: false });
    expect(sqs.deleteCalls).toHaveLength(2);
    expect(sqs.abortedCalls).toEqual(['delete', 'delete']);
    expect(sqs.deleted).toEqual([]);
    expect(sqs.inFlight.size).toBe(1); // still on the queue: SQS redelivers it
    const warning = lines.find((l) => l.message?.startsWith('SQS refused to delete'));
    expect(warning?.object).toMatchObject({ codes: ['ERR_BROKER_TIMEOUT'], attempts: 2 });
  });

  it('leaves a failed message on the queue when its dead-letter send times out', async () => {
    fakeTimers();
    const sqs = new FakeSqs();
    const { started, lines } = start(
      sqs,
      {
        requestTimeout: 1000,
        ackAttempts: 1,
        visibilityTimeout: 1, // the send is not tried past the visibility timeout
        onFailure: 'deadLetter',
        deadLetterQueueUrl: dlqUrl,
      },
      { handleMessage: (_p, m) => m.fail('bad') },
    );
    sqs.publish(1);
    await started;
    sqs.hang.add('send');
    await runUntil(() => sqs.sendCalls.length === 1, 1000);
    const stopping = track(pipeline!.stop());
    await runUntil(() => pending(stopping) === false, 5_000);
    expect(stopping.value).toEqual({ unacked: 1, timedOut: false });
    expect(sqs.abortedCalls).toEqual(['send']);
    expect(sqs.deleteCalls).toEqual([]);
    expect(sqs.inFlight.size).toBe(1);
    expect(
      lines.find((l) => l.message?.startsWith('could not send 1 failed'))?.object,
    ).toMatchObject({ codes: ['ERR_BROKER_TIMEOUT'] });
  });

  it('fails start() when GetQueueAttributes never answers', async () => {
    fakeTimers();
    const sqs = new FakeSqs();
    sqs.hang.add('attributes');
    const { started } = start(sqs, { requestTimeout: 2000 });
    const starting = track(started);
    await vi.advanceTimersByTimeAsync(2000);
    await settle();
    expect(starting.error).toMatchObject({
      code: 'ERR_BROKER_TIMEOUT',
      message: expect.stringContaining(
        'sqs producer cannot start: SQS did not answer GetQueueAttributes',
      ) as unknown,
    });
    pipeline = undefined;
  });

  it('reports a receive that never answers as a failed receive, and polls again', async () => {
    fakeTimers();
    const sqs = new FakeSqs();
    sqs.hang.add('receive');
    const { started, lines } = start(sqs, { requestTimeout: 1000, waitTimeSeconds: 1 });
    await started;
    await runUntil(() => lines.some((l) => l.message?.startsWith('SQS receive failed')), 3000);
    expect(lines.find((l) => l.message?.startsWith('SQS receive failed'))?.object).toMatchObject({
      err: { code: 'ERR_BROKER_TIMEOUT' },
    });
    sqs.hang.delete('receive');
    sqs.publish(1);
    await runUntil(() => sqs.deleted.length === 1, 60_000);
  });
});

function pending(state: { settled: boolean }): boolean {
  return !state.settled;
}
