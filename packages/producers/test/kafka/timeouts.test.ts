/**
 * Every call the Kafka producer makes is bounded by `requestTimeout`: a
 * commit, a dead-letter send, connecting, leaving the group at stop. Against
 * a client whose calls never settle (a frozen broker), each fails with
 * ERR_BROKER_TIMEOUT, and nothing is committed past a message that did not
 * reach its dead-letter topic.
 */
import diagnostics from 'node:diagnostics_channel';
import { createPipeline, type Message, type Pipeline, type StopReport } from '@sluice/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isBrokerError } from '../../src/errors.ts';
import type { KafkaClient, KafkaConsumerHandlers, KafkaPublisher } from '../../src/kafka/client.ts';
import { kafkaChannels, kafkaProducer, type KafkaProducerOptions } from '../../src/kafka/index.ts';
import { resolveKafkaOptions } from '../../src/kafka/options.ts';
import { quietLogger, type QuietLogger } from './helpers.ts';

type Hangable = 'listTopics' | 'commit' | 'stop' | 'publisher' | 'send' | 'close';

/** A fake KafkaClient whose chosen calls never settle. */
function frozenKafka() {
  const hang = new Set<Hangable>();
  const state = {
    handlers: undefined as KafkaConsumerHandlers | undefined,
    commits: [] as { partition: number; offset: string }[][],
    sends: 0,
    closed: [] as string[],
  };
  const never = new Promise<never>(() => undefined);
  const maybe = <T>(what: Hangable, value: () => T): Promise<T> =>
    hang.has(what) ? never : Promise.resolve(value());
  const publisher: KafkaPublisher = {
    send: () => maybe('send', () => (state.sends++, [])),
    close: () => maybe('close', () => void state.closed.push('publisher')),
  };
  const client: KafkaClient = {
    admin: () =>
      Promise.resolve({
        listTopics: () => maybe('listTopics', () => ['orders', 'dead']),
        fetchGroupOffsets: () => Promise.resolve([]),
        close: () => Promise.resolve(void state.closed.push('admin')),
      }),
    publisher: () => maybe('publisher', () => publisher),
    consumer: (_options, handlers) => {
      state.handlers = handlers;
      return {
        start: () => Promise.resolve(),
        pause: () => undefined,
        resume: () => undefined,
        commit: (offsets) =>
          maybe('commit', () => void state.commits.push(offsets.map((o) => ({ ...o })))),
        stop: () => maybe('stop', () => void state.closed.push('consumer')),
      };
    },
  };
  const deliver = (partition: number, from: number, n: number) =>
    state.handlers?.onBatch({
      topic: 'orders',
      partition,
      highWatermark: String(from + n),
      records: Array.from({ length: n }, (_, i) => ({
        offset: String(from + i),
        key: null,
        value: Buffer.from(`v${from + i}`),
        timestamp: '0',
      })),
    });
  return { client, state, hang, deliver };
}

let pipeline: Pipeline | undefined;
const subscriptions: [string, (e: unknown) => void][] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const [name, fn] of subscriptions.splice(0)) diagnostics.unsubscribe(name, fn);
  await pipeline?.stop();
  pipeline = undefined;
});

function listen(channel: string): unknown[] {
  const events: unknown[] = [];
  const fn = (e: unknown) => events.push(e);
  diagnostics.subscribe(channel, fn);
  subscriptions.push([channel, fn]);
  return events;
}

/** Lets the pipeline's scheduler (setImmediate, not faked) and promise chains run. */
async function settle(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Runs fake time in 100 ms steps until `condition`, at most `ms`. */
async function runUntil(condition: () => boolean, ms: number): Promise<void> {
  for (let t = 0; t < ms && !condition(); t += 100) {
    await settle();
    await vi.advanceTimersByTimeAsync(100);
  }
  expect(condition()).toBe(true);
}

async function start(
  fake: ReturnType<typeof frozenKafka>,
  options: Partial<KafkaProducerOptions>,
  handle: (m: Message) => Message = (m) => m,
  shutdownTimeout = 60_000,
) {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
  const logger: QuietLogger = quietLogger();
  const module = kafkaProducer({
    client: fake.client,
    groupId: 'g',
    topics: ['orders'],
    commitInterval: 100,
    requestTimeout: 1000,
    ...options,
  });
  pipeline = createPipeline({
    name: 'kafka-timeouts',
    logger,
    producer: { module },
    processors: { default: { concurrency: 2 } },
    handleMessage: (_p, m) => handle(m),
    shutdownTimeout,
  });
  const started = pipeline.start();
  await settle();
  return { module, logger, started };
}

describe('kafka requestTimeout', () => {
  it('defaults to 30000 ms and must be a positive number of ms', () => {
    const base = { brokers: ['kafka-1:9092'], groupId: 'g', topics: ['orders'] };
    expect(resolveKafkaOptions(base).requestTimeout).toBe(30_000);
    expect(resolveKafkaOptions({ ...base, requestTimeout: 500 }).requestTimeout).toBe(500);
    expect(() => resolveKafkaOptions({ ...base, requestTimeout: 0 })).toThrow(/requestTimeout/);
  });

  it('fails start() when listing topics never answers, and closes the admin client', async () => {
    const fake = frozenKafka();
    fake.hang.add('listTopics');
    const { started } = await start(fake, {});
    const outcome = started.then(
      () => undefined,
      (error: unknown) => error,
    );
    await vi.advanceTimersByTimeAsync(1000);
    const error = await outcome;
    expect(isBrokerError(error, 'ERR_BROKER_TIMEOUT')).toBe(true);
    expect((error as Error).message).toBe(
      'Kafka did not answer list topics within 1000 ms (requestTimeout); the call was abandoned',
    );
    expect(fake.state.closed).toEqual(['admin']);
    pipeline = undefined;
  });

  it('fails a commit that never answers, and commits the same offset once Kafka answers again', async () => {
    const fake = frozenKafka();
    const commitErrors = listen(kafkaChannels.commitError);
    const { started } = await start(fake, {});
    await started;
    fake.hang.add('commit');
    fake.state.handlers?.onAssignment(1, [{ topic: 'orders', partition: 0 }]);
    fake.deliver(0, 0, 3);
    await runUntil(() => commitErrors.length === 1, 2000);
    expect(commitErrors[0]).toMatchObject({
      reason: 'interval',
      offsets: [{ topic: 'orders', partition: 0, offset: '3' }],
      error: { code: 'ERR_BROKER_TIMEOUT' },
    });
    expect(fake.state.commits).toEqual([]);
    fake.hang.delete('commit');
    await runUntil(() => fake.state.commits.length === 1, 1000);
    expect(fake.state.commits).toEqual([[{ topic: 'orders', partition: 0, offset: '3' }]]);
  });

  it('halts the partition, committing nothing past it, when the dead-letter send never answers', async () => {
    const fake = frozenKafka();
    const { module, started } = await start(
      fake,
      { onFailure: 'dlq', dlq: { topic: 'dead' } },
      (m) => m.fail('bad'),
    );
    await started;
    fake.hang.add('send');
    fake.state.handlers?.onAssignment(1, [{ topic: 'orders', partition: 0 }]);
    fake.deliver(0, 0, 1);
    await runUntil(() => module.halted().length === 1, 3000);
    const [halted] = module.halted();
    expect(halted).toMatchObject({ topic: 'orders', partition: 0, offset: '0' });
    expect(isBrokerError(halted?.reason, 'ERR_BROKER_TIMEOUT')).toBe(true);
    expect((halted?.reason as Error).message).toContain('send to dead-letter topic dead');
    await vi.advanceTimersByTimeAsync(500);
    // Committed offsets are the next to read: never past the message that failed.
    expect(fake.state.commits.flat().every((c) => c.offset === '0')).toBe(true);
  });

  it('halts the partition when the dead-letter publisher never connects', async () => {
    const fake = frozenKafka();
    const { module, started } = await start(
      fake,
      { onFailure: 'dlq', dlq: { topic: 'dead' } },
      (m) => m.fail('bad'),
    );
    await started;
    fake.hang.add('publisher');
    fake.state.handlers?.onAssignment(1, [{ topic: 'orders', partition: 0 }]);
    fake.deliver(0, 0, 1);
    await runUntil(() => module.halted().length === 1, 3000);
    expect((module.halted()[0]?.reason as Error).message).toBe(
      'Kafka did not answer connect (dead-letter publisher) within 1000 ms (requestTimeout); the call was abandoned',
    );
  });

  it('stops within the timeouts when the final commit and the leave never answer', async () => {
    const fake = frozenKafka();
    const { logger, started } = await start(fake, {});
    await started;
    fake.state.handlers?.onAssignment(1, [{ topic: 'orders', partition: 0 }]);
    fake.hang.add('commit');
    fake.hang.add('stop');
    fake.deliver(0, 0, 2);
    await settle();
    let report: StopReport | undefined;
    void pipeline!.stop().then((r) => (report = r));
    // The commit in progress (1 s), the final one (1 s), the leave (1 s).
    await runUntil(() => report !== undefined, 5000);
    // Both messages were handled, but their offsets never reached the group:
    // they count as un-acked (issue 15: the report must be true).
    expect(report).toEqual({ unacked: 2, timedOut: false });
    const leave = logger.lines.find((l) => l.msg === 'kafka: final commit or leave failed');
    expect(leave?.obj).toMatchObject({ err: { code: 'ERR_BROKER_TIMEOUT' } });
    expect((leave?.obj as { err: Error }).err.message).toContain('leave group g');
    pipeline = undefined;
  });

  it('reports timedOut when the shutdown takes longer than shutdownTimeout', async () => {
    const fake = frozenKafka();
    const { started } = await start(fake, { requestTimeout: 20_000 }, undefined, 2000);
    await started;
    fake.state.handlers?.onAssignment(1, [{ topic: 'orders', partition: 0 }]);
    fake.hang.add('stop');
    let report: StopReport | undefined;
    void pipeline!.stop().then((r) => (report = r));
    await runUntil(() => report !== undefined, 3000);
    expect(report).toEqual({ unacked: 0, timedOut: true });
    pipeline = undefined;
  });
});
