import { handlerSpy, testBatch, testMessage } from '@sluice/testing';
import { afterEach, describe, expect, it } from 'vitest';
import diagnostics from 'node:diagnostics_channel';
import {
  Message,
  pipelineChannels,
  type ProducerModule,
  type StopReport,
} from '../../src/index.ts';
import { deferred, until } from '../helpers.ts';
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

describe('partitionBy', () => {
  it('keeps messages with the same partition on one processor, in order, under concurrency', async () => {
    const acks = recordingAcknowledger();
    const data = range(400).map((i) => ({ key: i % 7, seq: i }));
    const source = listProducer(data, acks.acknowledger);
    const seen = new Map<number, number[]>();
    const p = pipeline({
      producer: { module: source.module, concurrency: 1 },
      processors: {
        default: { concurrency: 4, partitionBy: (m) => (m.data as { key: number }).key },
      },
      async handleMessage(_p, m) {
        const { key, seq } = m.data as { key: number; seq: number };
        // uneven async delays would reorder messages without partitioning
        for (let i = 0; i < seq % 3; i++) await Promise.resolve();
        const list = seen.get(key) ?? [];
        list.push(seq);
        seen.set(key, list);
        return m;
      },
    });
    await p.start();
    await until(() => p.stats().successful === 400);
    await p.stop();
    for (const [key, seqs] of seen) {
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(seqs.every((s) => s % 7 === key)).toBe(true);
    }
  });

  it('hashes string partitions', async () => {
    const p = pipeline({
      producer: { module: idle() },
      processors: { default: { concurrency: 3, partitionBy: (m) => String(m.data) } },
      handleMessage: (_p, m) => m,
    });
    await p.start();
    const { successful } = await testBatch(p, ['a', 'b', 'c', 'a']);
    expect(successful).toHaveLength(4);
  });

  it('fails a message whose partitionBy throws, without stopping the producer', async () => {
    const p = pipeline({
      producer: { module: idle() },
      processors: {
        default: {
          concurrency: 2,
          partitionBy: (m) => {
            if (m.data === 'bad') throw new Error('no key');
            return 1;
          },
        },
      },
      handleMessage: (_p, m) => m,
    });
    await p.start();
    const { failed } = await testMessage(p, 'bad');
    expect(failed[0]?.status).toMatchObject({ kind: 'error', callback: 'partitionBy' });
    const { successful } = await testMessage(p, 'good');
    expect(successful.map((m) => m.data)).toEqual(['good']);
  });

  it('fails a message whose partitionBy returns neither an integer nor a string', async () => {
    const p = pipeline({
      producer: { module: idle() },
      processors: { default: { concurrency: 2, partitionBy: () => 1.5 } },
      handleMessage: (_p, m) => m,
    });
    await p.start();
    const { failed } = await testMessage(p, 1);
    expect((failed[0]?.status as { error: Error }).error.message).toBe(
      'partitionBy must return an integer or a string, got 1.5',
    );
  });
});

describe('rate limiting', () => {
  function endless(): ProducerModule {
    const acknowledger = { ack: () => undefined };
    let n = 0;
    return {
      init: () => ({
        handleDemand: (demand: number) =>
          Array.from({ length: demand }, () => new Message({ data: n++, acknowledger })),
      }),
    };
  }

  it('lets at most allowedMessages through per interval, across all producers', async () => {
    fakeTimers();
    const handled: number[] = [];
    const p = pipeline({
      producer: {
        module: endless(),
        concurrency: 3,
        rateLimiting: { allowedMessages: 10, interval: 1000 },
      },
      processors: { default: { concurrency: 2, maxDemand: 10 } },
      handleMessage(_p, m) {
        handled.push(m.data as number);
        return m;
      },
    });
    await p.start();
    await advance(0);
    expect(handled).toHaveLength(10);
    await advance(1000);
    expect(handled).toHaveLength(20);
    await advance(2000);
    expect(handled).toHaveLength(40);
    const stopping = p.stop();
    await advance(5000);
    expect((await stopping).timedOut).toBe(false);
  });

  it('applies updateRateLimiting at the next interval, or at once with reset', async () => {
    fakeTimers();
    let handled = 0;
    const p = pipeline({
      producer: { module: endless(), rateLimiting: { allowedMessages: 5, interval: 1000 } },
      processors: { default: { concurrency: 1, maxDemand: 10 } },
      handleMessage(_p, m) {
        handled++;
        return m;
      },
    });
    await p.start();
    await advance(0);
    expect(handled).toBe(5);
    p.updateRateLimiting({ allowedMessages: 20 });
    expect(p.getRateLimiting()).toEqual({ allowedMessages: 20, interval: 1000 });
    await advance(0);
    expect(handled).toBe(5); // not before the next interval
    await advance(1000);
    expect(handled).toBe(25);
    p.updateRateLimiting({ allowedMessages: 3, reset: true });
    await advance(0);
    expect(handled).toBe(28);
    const stopping = p.stop();
    await advance(20_000);
    expect((await stopping).timedOut).toBe(false);
  });

  it('refuses updates for a pipeline without rate limiting, and invalid values', () => {
    const p = pipeline({
      producer: { module: idle(), rateLimiting: { allowedMessages: 5, interval: 1000 } },
      processors: { default: {} },
      handleMessage: (_p, m) => m,
    });
    expect(() => p.updateRateLimiting({ allowedMessages: 0 })).toThrow(
      'invalid updateRateLimiting options: allowedMessages: expected a positive integer, got 0',
    );
    // broadway_test.exs "rate limiting: invalid options": an unknown key is
    // an error naming it, not silently ignored (issue 14).
    expect(() => p.updateRateLimiting({ allowed: 5 } as never)).toThrow(
      expect.objectContaining({
        name: 'InvalidOptionsError',
        message: 'invalid updateRateLimiting options: allowed: unknown option, got 5',
      }) as Error,
    );
    expect(() => p.updateRateLimiting({ reset: 'yes' } as never)).toThrow(
      'invalid updateRateLimiting options: reset: expected true or false',
    );
    const q = pipeline({
      producer: { module: idle() },
      processors: { default: {} },
      handleMessage: (_p, m) => m,
    });
    expect(q.getRateLimiting()).toBeUndefined();
    expect(() => q.updateRateLimiting({ allowedMessages: 1 })).toThrow(
      'was defined without producer.rateLimiting',
    );
  });
});

describe('draining', () => {
  it('drains messages in every stage before stop() resolves', async () => {
    const acks = recordingAcknowledger();
    const source = listProducer(range(1000), acks.acknowledger);
    const p = pipeline({
      producer: { module: source.module, concurrency: 1 },
      processors: { default: { concurrency: 4 } },
      batchers: {
        a: { batchSize: 7, batchTimeout: 60_000 },
        b: { batchSize: 13, batchTimeout: 60_000, concurrency: 2 },
      },
      async handleMessage(_p, m) {
        await Promise.resolve();
        return m.putBatcher((m.data as number) % 2 === 0 ? 'a' : 'b');
      },
      async handleBatch(_b, messages) {
        await new Promise((r) => setImmediate(r));
        return messages;
      },
    });
    await p.start();
    await new Promise((r) => setImmediate(r));
    const report = await p.stop();
    // everything the producer emitted was handled and acked exactly once,
    // including partial batches flushed at shutdown
    const emitted = source.emitted();
    expect(acks.successful().sort((x, y) => (x as number) - (y as number))).toEqual(range(emitted));
    expect(report).toEqual({ unacked: 0, timedOut: false });
    expect(p.state).toBe('stopped');
  });

  it('shares one promise between concurrent stop() calls', async () => {
    const p = pipeline({
      producer: { module: idle() },
      processors: { default: {} },
      handleMessage: (_p, m) => m,
    });
    await p.start();
    const a = p.stop();
    const b = p.stop();
    expect(a).toBe(b);
    await a;
    expect(p.stop()).toBe(a);
  });

  it('calls prepareForDraining at once, even while handleDemand is pending', async () => {
    const pending = deferred<Message[]>();
    let draining = false;
    const module: ProducerModule = {
      init: () => ({
        handleDemand: () => pending.promise,
        prepareForDraining() {
          draining = true;
          pending.resolve([]); // abort the "long poll"
        },
      }),
    };
    const p = pipeline({
      producer: { module },
      processors: { default: {} },
      handleMessage: (_p, m) => m,
    });
    await p.start();
    await p.stop();
    expect(draining).toBe(true);
  });

  it('reports what a producer emits that is not a Message, and handles the Messages around it', async () => {
    const acks = recordingAcknowledger();
    let served = false;
    const module: ProducerModule = {
      init: () => ({
        handleDemand() {
          if (served) return [];
          served = true;
          return [
            new Message({ data: 'a', acknowledger: acks.acknowledger }),
            { data: 'junk' },
            new Message({ data: 'b', acknowledger: acks.acknowledger }),
          ] as Message[];
        },
      }),
    };
    const errors: { kind: string; count: number; error: Error }[] = [];
    const onError = (payload: unknown) =>
      errors.push(payload as { kind: string; count: number; error: Error });
    diagnostics.subscribe(pipelineChannels.producerError, onError);
    try {
      const p = pipeline({
        producer: { module },
        processors: { default: { concurrency: 1 } },
        handleMessage: (_p, m) => m,
      });
      await p.start();
      await until(() => acks.successful().length === 2);
      expect(acks.successful()).toEqual(['a', 'b']);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ kind: 'not-a-message', count: 1 });
      expect(errors[0]?.error.message).toBe(
        "the producer emitted { data: 'junk' }, which is not a Message; emit Messages or set producer.transformer",
      );
    } finally {
      diagnostics.unsubscribe(pipelineChannels.producerError, onError);
    }
  });

  it('starts no handleDemand call once stop() is called, though demand keeps coming', async () => {
    const pending = deferred<Message[]>();
    let calls = 0;
    let stopCalled = false;
    let callsAfterStop = 0;
    const module: ProducerModule = {
      init: () => ({
        handleDemand() {
          calls++;
          if (stopCalled) callsAfterStop++;
          // The first call waits; the pipeline asks again once it returns.
          return calls === 1 ? pending.promise : [];
        },
        prepareForDraining: () => pending.resolve([]),
      }),
    };
    const p = pipeline({
      producer: { module },
      processors: { default: { concurrency: 2, maxDemand: 4, minDemand: 0 } },
      handleMessage: (_p, m) => m,
    });
    await p.start();
    stopCalled = true;
    await p.stop();
    expect(calls).toBeGreaterThan(0);
    expect(callsAfterStop).toBe(0);
  });

  it('stops anyway after shutdownTimeout, aborts handler signals, and reports what was left un-acked', async () => {
    fakeTimers();
    let aborted = false;
    const p = pipeline({
      producer: { module: idle() },
      processors: { default: { concurrency: 1 } },
      shutdownTimeout: 5000,
      handleMessage: (_p, _m, _c, signal) =>
        new Promise<Message>(() => {
          signal.addEventListener('abort', () => {
            aborted = true;
          });
        }),
    });
    await p.start();
    void testMessage(p, 'stuck');
    await advance(0);
    const stopping = p.stop();
    await advance(5000);
    const report = await stopping;
    expect(report).toEqual({ unacked: 1, timedOut: true });
    expect(aborted).toBe(true);
    const line = p.logger.lines.find((l) => l.level === 'error');
    expect(line?.message).toMatch(
      /did not drain within 5000 ms; stopping with 1 messages un-acked/,
    );
  });

  // Issue 15: against a frozen broker a delete call never returned, and
  // stop() outlived its shutdownTimeout by far (or reported timedOut false).
  it.each([
    ['an ack that never settles', { ack: 'hangs' }],
    ["a producer's terminate that never settles", { terminate: 'hangs' }],
    ["the module's cleanup that never settles", { cleanup: 'hangs' }],
  ] as const)('settles stop() by shutdownTimeout despite %s, and says so', async (_what, hang) => {
    fakeTimers();
    const never = new Promise<void>(() => {});
    const acknowledger = { ack: () => ('ack' in hang ? never : undefined) };
    const source = listProducer(range(3), acknowledger);
    const module: ProducerModule = {
      prepareForStart: () => ('cleanup' in hang ? () => never : undefined),
      init: (context) =>
        ({
          ...(source.module.init(context) as object),
          ...('terminate' in hang && { terminate: () => never }),
        }) as ReturnType<ProducerModule['init']>,
    };
    const p = pipeline({
      producer: { module },
      processors: { default: { concurrency: 1 } },
      shutdownTimeout: 5000,
      handleMessage: (_p, m) => m,
    });
    await p.start();
    await advance(0);
    let report: StopReport | undefined;
    void p.stop().then((r) => (report = r));
    await advance(4999);
    expect(report).toBeUndefined();
    await advance(1);
    expect(report).toEqual({ unacked: 'ack' in hang ? 3 : 0, timedOut: true });
    expect(p.state).toBe('stopped');
  });

  it('counts messages whose ack failed during the drain as un-acked in the stop report', async () => {
    const acknowledger = { ack: () => Promise.reject(new Error('connection closed')) };
    const release = deferred<void>();
    const source = listProducer(range(3), acknowledger);
    const p = pipeline({
      producer: { module: source.module },
      processors: { default: { concurrency: 1, maxDemand: 3, minDemand: 0 } },
      handleMessage: async (_p, m) => {
        await release.promise;
        return m;
      },
    });
    await p.start();
    await until(() => p.stats().received === 3);
    const stopping = p.stop();
    release.resolve();
    expect(await stopping).toEqual({ unacked: 3, timedOut: false });
    expect(p.stats().ackErrors).toBeGreaterThan(0);
  });

  it('acks as failed, and reports, messages a producer emits after draining finished', async () => {
    let emit: ((events: readonly unknown[]) => void) | undefined;
    const acks = recordingAcknowledger();
    const module: ProducerModule = {
      init(context) {
        emit = (e) => context.emit(e);
        return { handleDemand: () => undefined };
      },
    };
    const p = pipeline({
      producer: { module },
      processors: { default: {} },
      handleMessage: (_p, m) => m,
    });
    await p.start();
    await p.stop();
    emit?.([new Message({ data: 'late', acknowledger: acks.acknowledger })]);
    expect(acks.failed()).toEqual(['late']);
    expect(p.logger.lines.some((l) => /after draining had finished/.test(l.message ?? ''))).toBe(
      true,
    );
  });

  it('lets the rate limit release held messages before it finishes draining', async () => {
    fakeTimers();
    const acks = recordingAcknowledger();
    const source = listProducer(range(30), acks.acknowledger);
    const p = pipeline({
      producer: { module: source.module, rateLimiting: { allowedMessages: 10, interval: 1000 } },
      processors: { default: { concurrency: 1, maxDemand: 30, minDemand: 0 } },
      handleMessage: (_p, m) => m,
    });
    await p.start();
    await advance(0);
    const stopping = p.stop();
    await advance(3000);
    expect(await stopping).toEqual({ unacked: 0, timedOut: false });
    expect(acks.successful()).toEqual(range(30));
  });
});

describe('producer routing', () => {
  it("routes processors by the producer module's partitionBy unless the definition sets one", () => {
    const module = { ...idle(), partitionBy: () => 1 };
    const routed = pipeline({
      producer: { module },
      processors: { default: {} },
      handleMessage: (_p, m) => m,
    });
    expect(routed.definition.processor.partitionBy).toBe(module.partitionBy);
    const own = () => 2;
    const overridden = pipeline({
      producer: { module },
      processors: { default: { partitionBy: own } },
      handleMessage: (_p, m) => m,
    });
    expect(overridden.definition.processor.partitionBy).toBe(own);
  });

  it('gives producers the validated definition', async () => {
    let seen: unknown;
    const p = pipeline({
      producer: {
        module: {
          prepareForStart: (context) => void (seen = context.definition.batchers[0]?.batchTimeout),
          init: () => ({ handleDemand: () => undefined }),
        },
      },
      processors: { default: {} },
      batchers: { s3: { batchTimeout: 1234 } },
      handleMessage: (_p, m) => m,
      handleBatch: (_b, ms) => ms,
    });
    await p.start();
    expect(seen).toBe(1234);
  });
});

describe('producer termination', () => {
  it('terminates producer instances only after the last ack has settled', async () => {
    const order: string[] = [];
    const slowAck = {
      async ack() {
        await new Promise((r) => setTimeout(r, 5));
        order.push('acked');
      },
    };
    let emitted = false;
    const module: ProducerModule = {
      init: () => ({
        handleDemand() {
          if (emitted) return undefined;
          emitted = true;
          return [new Message({ data: 1, acknowledger: slowAck })];
        },
        terminate: () => void order.push('terminated'),
      }),
    };
    const p = pipeline({
      producer: { module },
      processors: { default: { concurrency: 1 } },
      batchers: { default: { batchSize: 10, batchTimeout: 60_000 } },
      handleMessage: (_p, m) => m,
      handleBatch: (_b, ms) => ms,
    });
    await p.start();
    await p.stop();
    expect(order).toEqual(['acked', 'terminated']);
  });
});

describe('start', () => {
  it('rejects with the producer init error, and stops what it started', async () => {
    const module: ProducerModule = {
      init() {
        throw new Error('queue https://sqs/q does not exist');
      },
    };
    const p = pipeline({
      producer: { module },
      processors: { default: {} },
      handleMessage: (_p, m) => m,
    });
    await expect(p.start()).rejects.toThrow('queue https://sqs/q does not exist');
    expect(p.state).toBe('stopped');
  });

  it('runs prepareForStart once before the producers, and its cleanup after stop', async () => {
    const order: string[] = [];
    const module: ProducerModule = {
      prepareForStart() {
        order.push('prepare');
        return () => void order.push('cleanup');
      },
      init({ index }) {
        order.push(`init ${index}`);
        return {
          handleDemand: () => undefined,
          terminate: () => void order.push(`terminate ${index}`),
        };
      },
    };
    const p = pipeline({
      producer: { module, concurrency: 2 },
      processors: { default: {} },
      handleMessage: (_p, m) => m,
    });
    await p.start();
    expect(p.state).toBe('running');
    await p.stop();
    expect(order.slice(0, 3)).toEqual(['prepare', 'init 0', 'init 1']);
    expect(order.slice(3).sort()).toEqual(['cleanup', 'terminate 0', 'terminate 1']);
    expect(order.at(-1)).toBe('cleanup');
  });

  it('refuses pushMessages before start and a second start after stop', async () => {
    const p = pipeline({
      producer: { module: idle() },
      processors: { default: {} },
      handleMessage: (_p, m) => m,
    });
    expect(() => p.pushMessages([])).toThrow('pipeline test-');
    await p.start();
    await p.stop();
    await expect(p.start()).rejects.toMatchObject({ code: 'ERR_PIPELINE_STATE' });
  });

  it('emits through a transformer, and fails loudly on a producer that emits non-messages', async () => {
    const acknowledger = { ack: () => undefined };
    let sent = false;
    const module: ProducerModule = {
      init: () => ({
        handleDemand() {
          if (sent) return undefined;
          sent = true;
          return [{ raw: 1 }, { raw: 2 }];
        },
      }),
    };
    const seen: unknown[] = [];
    const p = pipeline({
      producer: {
        module,
        transformer: (event) =>
          new Message({ data: (event as { raw: number }).raw * 100, acknowledger }),
      },
      processors: { default: { concurrency: 1 } },
      handleMessage(_p, m) {
        seen.push(m.data);
        return m;
      },
    });
    await p.start();
    await p.stop();
    expect(seen).toEqual([100, 200]);
  });
});

describe('handlerSpy', () => {
  it('awaits a message by id or predicate, whatever producer brought it in', async () => {
    const acks = recordingAcknowledger();
    const source = listProducer(range(20), acks.acknowledger);
    const p = pipeline({
      producer: { module: source.module },
      processors: { default: {} },
      handleMessage: (_p, m) => (m.data === 13 ? m.fail('unlucky') : m),
    });
    const spy = handlerSpy(p);
    await p.start();
    await expect(spy.waitForMessageWithId(5)).resolves.toMatchObject({ outcome: 'successful' });
    await expect(spy.waitForMessage((m) => m.data === 13)).resolves.toMatchObject({
      outcome: 'failed',
    });
    spy.dispose();
  });

  it('rejects after its timeout, saying what it waited for', async () => {
    fakeTimers();
    const p = pipeline({
      producer: { module: idle() },
      processors: { default: {} },
      handleMessage: (_p, m) => m,
    });
    const spy = handlerSpy(p);
    await p.start();
    const waiting = spy.waitForMessageWithId('nope', { timeoutMs: 100 });
    const assertion = expect(waiting).rejects.toThrow(
      'handlerSpy: no message with id nope was acked',
    );
    await advance(100);
    await assertion;
    spy.dispose();
  });
});
