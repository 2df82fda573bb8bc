import { testBatch, testMessage } from '@sluice/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Message,
  createPipeline,
  noopAcknowledger,
  type PipelineDefinition,
} from '../../src/index.ts';
import { memoryLogger } from '../helpers.ts';
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

afterEach(stopAll);

describe('createPipeline', () => {
  it('lists every invalid option with its path and value', () => {
    const definition = {
      name: 'orders',
      producer: { module: idle(), concurrency: 0 },
      processors: { default: { concurrency: 0, maxDemand: 10, minDemand: 10 } },
      batchers: { s3: { batchSize: 0, batchTimeout: -1 } },
      handleMessage: (_p: string, m: Message) => m,
      handleBatch: (_b: string, ms: Message[]) => ms,
      unknownOption: true,
    };
    let message = '';
    try {
      createPipeline(definition as unknown as PipelineDefinition);
    } catch (error) {
      message = (error as Error).message;
      expect(error).toMatchObject({ code: 'ERR_INVALID_OPTIONS' });
    }
    expect(message).toContain('invalid pipeline definition:');
    expect(message).toContain('producer.concurrency: expected a positive integer, got 0');
    expect(message).toContain('processors.default.concurrency: expected a positive integer, got 0');
    expect(message).toContain(
      'processors.default.minDemand: expected less than maxDemand (10), got 10',
    );
    expect(message).toContain('batchers.s3.batchSize: expected a positive integer, got 0');
    expect(message).toContain('batchers.s3.batchTimeout: expected a positive number of ms, got -1');
    expect(message).toContain('unknownOption: unknown option, got true');
  });

  // Issue 15: Node fires a timer of 2^31 ms or more after 1 ms, so these
  // failed every message, gave up a stop at once or flushed every batch.
  it.each([
    ['processors.default.timeout', { processors: { default: { timeout: 2 ** 31 } } }],
    ['batchers.s3.batchTimeout', { batchers: { s3: { batchTimeout: 2 ** 31 } } }],
    ['batchers.s3.timeout', { batchers: { s3: { timeout: 3e9 } } }],
    ['shutdownTimeout', { shutdownTimeout: 2 ** 40 }],
    [
      'producer.rateLimiting.interval',
      { producer: { module: idle(), rateLimiting: { allowedMessages: 1, interval: 2 ** 31 } } },
    ],
  ])('refuses a %s past the longest timer Node keeps', (path, options) => {
    const definition = {
      name: 'x',
      producer: { module: idle() },
      processors: { default: {} },
      handleMessage: (_p: string, m: Message) => m,
      handleBatch: (_b: string, ms: Message[]) => ms,
      ...options,
    };
    expect(() => createPipeline(definition as unknown as PipelineDefinition)).toThrow(
      `${path}: expected at most 2147483647 ms (about 24.8 days, the longest timer Node keeps)`,
    );
  });

  it('requires handleMessage, a producer module and exactly one processor group', () => {
    expect(() =>
      createPipeline({
        name: 'x',
        producer: { module: {} },
        processors: {},
      } as unknown as PipelineDefinition),
    ).toThrow(
      /producer\.module: expected a producer module[\s\S]*processors: expected exactly one processor group[\s\S]*handleMessage: expected a function/,
    );
    expect(() =>
      createPipeline({
        name: 'x',
        producer: { module: idle() },
        processors: { a: {}, b: {} },
        handleMessage: (_p: string, m: Message) => m,
      }),
    ).toThrow('processors: expected exactly one processor group, got 2 (a, b)');
  });

  it('requires handleBatch when batchers are defined', () => {
    expect(() =>
      createPipeline({
        name: 'x',
        producer: { module: idle() },
        processors: { default: {} },
        batchers: { s3: {} },
        handleMessage: (_p, m) => m,
      }),
    ).toThrow(
      'handleBatch: expected a function, required when batchers are defined, got undefined',
    );
  });

  it('fills in defaults: 2 × cores processors, 10 s shutdown, about 400 messages of demand', () => {
    const p = pipeline({
      producer: { module: idle() },
      processors: { default: {} },
      handleMessage: (_p, m) => m,
    });
    expect(p.definition.processor.concurrency).toBeGreaterThanOrEqual(2);
    expect(p.definition.shutdownTimeout).toBe(10_000);
    const demand = (concurrency: number) => {
      const q = pipeline({
        producer: { module: idle() },
        processors: { default: { concurrency } },
        handleMessage: (_p, m) => m,
      });
      return [q.definition.processor.maxDemand, q.definition.processor.minDemand];
    };
    expect(demand(2)).toEqual([100, 50]); // CPU-bound: big, cheap chunks
    expect(demand(8)).toEqual([50, 25]);
    expect(demand(50)).toEqual([10, 5]); // I/O-bound: Broadway's default
    expect(demand(1000)).toEqual([10, 5]);
  });

  it('reports its topology', () => {
    const p = pipeline({
      name: 'orders',
      producer: { module: idle(), concurrency: 2 },
      processors: { default: { concurrency: 8 } },
      batchers: { s3: { concurrency: 2, batchSize: 50 }, sqs: {} },
      handleMessage: (_p, m) => m,
      handleBatch: (_b, ms) => ms,
    });
    expect(p.topology()).toEqual({
      producers: [{ name: 'orders.producer', concurrency: 2 }],
      processors: [{ name: 'orders.processor.default', processorKey: 'default', concurrency: 8 }],
      batchers: [
        {
          name: 'orders.batcher.s3',
          batcherKey: 's3',
          concurrency: 2,
          batchSize: 50,
          batchTimeout: 1000,
        },
        {
          name: 'orders.batcher.sqs',
          batcherKey: 'sqs',
          concurrency: 1,
          batchSize: 100,
          batchTimeout: 1000,
        },
      ],
    });
  });
});

describe('processors', () => {
  it('acks successful messages when there are no batchers', async () => {
    const p = pipeline({
      producer: { module: idle() },
      processors: { default: { concurrency: 2 } },
      handleMessage: (_p, m) => m.updateData((d) => (d as number) * 10),
    });
    await p.start();
    const { successful, failed } = await testMessage(p, 4);
    expect(successful.map((m) => m.data)).toEqual([40]);
    expect(failed).toEqual([]);
  });

  it('contains a failure to the failing message; the rest of the chunk succeeds', async () => {
    const acks = recordingAcknowledger();
    const source = listProducer(range(10), acks.acknowledger);
    const p = pipeline({
      producer: { module: source.module },
      processors: { default: { concurrency: 1, maxDemand: 10, minDemand: 0 } },
      handleMessage(_p, m) {
        if (m.data === 3) throw new Error('boom on 3');
        return m;
      },
    });
    await p.start();
    await p.stop();
    expect(acks.successful().sort()).toEqual([0, 1, 2, 4, 5, 6, 7, 8, 9]);
    expect(acks.failed()).toEqual([3]);
    const errors = p.logger.lines.filter((l) => l.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toBe('handleMessage failed for message 3');
    expect(errors[0]?.object).toMatchObject({ messageId: 3 });
  });

  it('fails a message that fail() marks, without logging it as a crash', async () => {
    const p = pipeline({
      producer: { module: idle() },
      processors: { default: {} },
      handleMessage: (_p, m) => (m.data === 'bad' ? m.fail('invalid payload') : m),
    });
    await p.start();
    const { failed } = await testMessage(p, 'bad');
    expect(failed[0]?.status).toEqual({ kind: 'failed', reason: 'invalid payload' });
    expect(p.logger.lines.filter((l) => l.level === 'error')).toEqual([]);
  });

  it('fails a message whose handleMessage returns something that is not a Message', async () => {
    const p = pipeline({
      producer: { module: idle() },
      processors: { default: {} },
      handleMessage: () => ({ not: 'a message' }) as unknown as Message,
    });
    await p.start();
    const { failed } = await testMessage(p, 1);
    expect(failed).toHaveLength(1);
    expect(failed[0]?.status).toMatchObject({
      kind: 'error',
      callback: 'handleMessage',
      error: {
        code: 'ERR_BAD_RETURN',
        message: "handleMessage must return a Message, got { not: 'a message' }",
      },
    });
  });

  // Issue 15: a handler that returned another message got that one acked
  // (perhaps several times) and left the original un-acked for ever.
  it('fails the original when handleMessage returns a different Message, and acks nothing else', async () => {
    const acks = recordingAcknowledger();
    const source = listProducer(range(4), acks.acknowledger);
    let first: Message | undefined;
    const p = pipeline({
      producer: { module: source.module },
      processors: { default: { concurrency: 1, maxDemand: 10, minDemand: 0 } },
      handleMessage(_p, m) {
        first ??= m;
        return m.data === 2 ? first : m;
      },
    });
    await p.start();
    await p.stop();
    expect(acks.successful().sort()).toEqual([0, 1, 3]);
    expect(acks.failed()).toEqual([2]);
    const stats = p.stats();
    expect([stats.successful, stats.failed, stats.inFlight]).toEqual([3, 1, 0]);
    const error = p.logger.lines.find((l) => l.level === 'error');
    expect(error?.object).toMatchObject({
      err: {
        code: 'ERR_BAD_RETURN',
        message:
          'handleMessage must return the Message it was given (id 2), got another Message (id 0)',
      },
    });
  });

  it('fails the chunk when prepareMessages returns other Messages, even as many', async () => {
    const p = pipeline({
      producer: { module: idle() },
      processors: { default: { concurrency: 1 } },
      prepareMessages: (ms: Message[]) =>
        ms.map((m) => new Message({ data: m.data, acknowledger: noopAcknowledger })),
      handleMessage: (_p, m) => m,
    });
    await p.start();
    const { failed, successful } = await testBatch(p, [1, 2]);
    expect(successful).toEqual([]);
    expect(failed.map((m) => m.data).sort()).toEqual([1, 2]);
    expect(failed[0]?.status).toMatchObject({
      kind: 'error',
      callback: 'prepareMessages',
      error: { code: 'ERR_BAD_RETURN' },
    });
  });

  it('fails a message set to an unknown batcher, naming the known ones', async () => {
    const p = pipeline({
      producer: { module: idle() },
      processors: { default: {} },
      batchers: { s3: {}, db: {} },
      handleMessage: (_p, m) => m.putBatcher('nope'),
      handleBatch: (_b, ms) => ms,
    });
    await p.start();
    const { failed } = await testMessage(p, 1);
    expect((failed[0]?.status as { error: Error }).error.message).toBe(
      "message was set to unknown batcher 'nope'; the known batchers are 's3', 'db'",
    );
  });

  it('calls handleFailed once per processor invocation with exactly the failed messages', async () => {
    const acks = recordingAcknowledger();
    const source = listProducer(range(10), acks.acknowledger);
    const calls: number[][] = [];
    const p = pipeline({
      producer: { module: source.module },
      processors: { default: { concurrency: 1, maxDemand: 10, minDemand: 0 } },
      handleMessage: (_p, m) => ((m.data as number) % 3 === 0 ? m.fail('multiple of 3') : m),
      handleFailed(messages) {
        calls.push(messages.map((m) => m.data as number));
        return messages;
      },
    });
    await p.start();
    await p.stop();
    expect(calls).toEqual([[0, 3, 6, 9]]);
    expect(acks.failed()).toEqual([0, 3, 6, 9]);
  });

  it('acks the failed messages as they were when handleFailed throws or returns the wrong list', async () => {
    for (const handleFailed of [
      () => {
        throw new Error('handleFailed broke');
      },
      () => [],
    ]) {
      const p = pipeline({
        producer: { module: idle() },
        processors: { default: {} },
        handleMessage: (_p, m) => m.fail('no'),
        handleFailed,
      });
      await p.start();
      const { failed } = await testMessage(p, 1);
      expect(failed.map((m) => m.data)).toEqual([1]);
      expect(
        p.logger.lines.some((l) => l.level === 'error' && /handleFailed/.test(l.message ?? '')),
      ).toBe(true);
    }
  });

  it('fails the whole chunk when prepareMessages throws or returns a different count', async () => {
    for (const prepareMessages of [
      () => {
        throw new Error('preload failed');
      },
      (ms: Message[]) => ms.slice(1),
    ]) {
      const handled: unknown[] = [];
      const p = pipeline({
        producer: { module: idle() },
        processors: { default: { concurrency: 1 } },
        prepareMessages,
        handleMessage(_p, m) {
          handled.push(m.data);
          return m;
        },
      });
      await p.start();
      const { failed, successful } = await testBatch(p, [1, 2, 3]);
      expect(successful).toEqual([]);
      expect(failed.map((m) => m.data).sort()).toEqual([1, 2, 3]);
      expect(handled).toEqual([]);
      expect(failed[0]?.status).toMatchObject({ kind: 'error', callback: 'prepareMessages' });
    }
  });

  it('runs prepareMessages on the whole chunk before handleMessage', async () => {
    const seen: string[] = [];
    const p = pipeline({
      producer: { module: idle() },
      processors: { default: { concurrency: 1, maxDemand: 10, minDemand: 0 } },
      prepareMessages(ms) {
        seen.push(`prepare ${ms.length}`);
        return ms.map((m) => m.putData(`${String(m.data)}!`));
      },
      handleMessage(_p, m) {
        seen.push(`handle ${String(m.data)}`);
        return m;
      },
    });
    await p.start();
    const { successful } = await testBatch(p, ['a', 'b']);
    expect(successful.map((m) => m.data)).toEqual(['a!', 'b!']);
    expect(seen).toEqual(['prepare 2', 'handle a!', 'handle b!']);
  });

  it('fails a message whose handleMessage does not settle within the processor timeout', async () => {
    fakeTimers();
    let aborted: unknown;
    const p = pipeline({
      producer: { module: idle() },
      processors: { default: { concurrency: 1, timeout: 1000 } },
      handleMessage: (_p, m, _c, signal) =>
        new Promise<Message>((resolve) => {
          if (m.data === 'fast') resolve(m);
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
      error: { code: 'ERR_HANDLER_TIMEOUT' },
    });
    expect(aborted).toMatchObject({ code: 'ERR_HANDLER_TIMEOUT' });
    // the processor moved on to the next message
    expect((await fast).successful.map((m) => m.data)).toEqual(['fast']);
  });

  it('passes the context to every callback', async () => {
    const seen: unknown[] = [];
    const p = pipeline({
      producer: { module: idle() },
      processors: { default: {} },
      batchers: { default: { batchSize: 1 } },
      context: { db: 'handle' },
      handleMessage(_p, m, context) {
        seen.push(context);
        return m;
      },
      handleBatch(_b, ms, _i, context) {
        seen.push(context);
        return ms;
      },
    });
    await p.start();
    await testMessage(p, 1);
    expect(seen).toEqual([{ db: 'handle' }, { db: 'handle' }]);
  });
});

describe('acks', () => {
  it('calls ack once per (acknowledger, ackRef) group per invocation, keeping order', async () => {
    const acks = recordingAcknowledger();
    const p = pipeline({
      producer: { module: idle() },
      processors: { default: { concurrency: 1, maxDemand: 10, minDemand: 0 } },
      handleMessage: (_p, m) => ((m.data as number) === 2 ? m.fail('x') : m),
    });
    await p.start();
    const make = (data: number, ref: string) =>
      new Message({ data, acknowledger: acks.acknowledger, ackRef: ref });
    p.pushMessages([make(1, 'a'), make(2, 'a'), make(3, 'b'), make(4, 'a')]);
    await p.stop();
    expect(acks.calls).toEqual([
      { ref: 'a', successful: [1, 4], failed: [2] },
      { ref: 'b', successful: [3], failed: [] },
    ]);
  });

  it('logs, counts and publishes an acknowledger that throws, and carries on', async () => {
    const diagnostics = await import('node:diagnostics_channel');
    const published: unknown[] = [];
    const listener = (m: unknown): void => void published.push(m);
    diagnostics.subscribe('sluice:ack:error', listener);
    try {
      let calls = 0;
      const flaky = {
        ack() {
          calls++;
          if (calls === 1) throw new Error('broker said no');
        },
      };
      const p = pipeline({
        producer: { module: idle() },
        processors: { default: { concurrency: 1 } },
        handleMessage: (_p, m) => m,
      });
      await p.start();
      p.pushMessages([new Message({ data: 1, acknowledger: flaky, id: 'm1' })]);
      p.pushMessages([new Message({ data: 2, acknowledger: flaky, id: 'm2' })]);
      await p.stop();
      expect(calls).toBe(2);
      expect(p.stats().ackErrors).toBe(1);
      expect(published).toMatchObject([{ count: 1, error: { message: 'broker said no' } }]);
      const line = p.logger.lines.find((l) => l.level === 'error');
      expect(line?.object).toMatchObject({ count: 1, messageIds: ['m1'] });
    } finally {
      diagnostics.unsubscribe('sluice:ack:error', listener);
    }
  });

  it('waits for async acks before stop() resolves', async () => {
    let settled = false;
    const slowAck = {
      async ack() {
        await new Promise((r) => setTimeout(r, 5));
        settled = true;
      },
    };
    const p = pipeline({
      producer: { module: idle() },
      processors: { default: {} },
      handleMessage: (_p, m) => m,
    });
    await p.start();
    p.pushMessages([new Message({ data: 1, acknowledger: slowAck })]);
    const report = await p.stop();
    expect(settled).toBe(true);
    expect(report).toEqual({ unacked: 0, timedOut: false });
  });
});

describe('ackImmediately', () => {
  it('acks at once and makes the end-of-pipeline ack a no-op', async () => {
    const { ackImmediately } = await import('../../src/index.ts');
    const acks = recordingAcknowledger();
    const order: string[] = [];
    const p = pipeline({
      producer: { module: idle() },
      processors: { default: {} },
      async handleMessage(_p, m) {
        await ackImmediately(m);
        order.push(`acked ${acks.calls.length}`);
        return m;
      },
    });
    await p.start();
    p.pushMessages([new Message({ data: 'x', acknowledger: acks.acknowledger })]);
    await p.stop();
    expect(order).toEqual(['acked 1']);
    expect(acks.calls).toHaveLength(1);
    expect(p.stats()).toMatchObject({ successful: 1, inFlight: 0 });
  });

  it('rejects when the ack fails, and keeps the acknowledger so the pipeline acks again', async () => {
    const { ackImmediately } = await import('../../src/index.ts');
    let calls = 0;
    const flaky = {
      ack() {
        calls++;
        if (calls === 1) throw new Error('nope');
      },
    };
    const m = new Message({ data: 1, acknowledger: flaky });
    await expect(ackImmediately(m)).rejects.toThrow(
      'ackImmediately: 1 of 1 messages could not be acked',
    );
    expect(m.acknowledger).toBe(flaky);
  });
});

describe('logging', () => {
  it('logs through the given pino-compatible logger with pipeline, stage and index bindings', async () => {
    const logger = memoryLogger();
    const p = createPipeline({
      name: 'logged',
      logger,
      producer: { module: idle() },
      processors: { default: { concurrency: 1 } },
      handleMessage() {
        throw new Error('x');
      },
    });
    await p.start();
    await testMessage(p, 1);
    await p.stop();
    const line = logger.lines.find((l) => l.level === 'error');
    expect(line?.object).toMatchObject({ pipeline: 'logged', stage: 'processor', index: 0 });
  });
});
