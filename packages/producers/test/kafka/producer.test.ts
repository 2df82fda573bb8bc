import diagnostics from 'node:diagnostics_channel';
import { createPipeline, InvalidOptionsError, type Message, type Pipeline } from '@sluice/core';
import { afterEach, describe, expect, it } from 'vitest';
import { BrokerError } from '../../src/errors.ts';
import type { KafkaRecord } from '../../src/kafka/admin.ts';
import type {
  KafkaClient,
  KafkaConsumerHandlers,
  KafkaGroupConsumer,
} from '../../src/kafka/client.ts';
import {
  kafkaChannels,
  kafkaProducer,
  type KafkaMessageMetadata,
  type KafkaProducerOptions,
} from '../../src/kafka/index.ts';
import { quietLogger, waitFor } from './helpers.ts';

/** An in-memory KafkaClient: the test plays the group coordinator. */
function fakeKafka(topics: readonly string[] = ['orders']) {
  const state = {
    handlers: undefined as KafkaConsumerHandlers | undefined,
    commits: [] as { topic: string; partition: number; offset: string }[][],
    paused: new Set<string>(),
    sent: [] as { topic: string; headers: unknown }[],
    /** How many of the next commits to refuse, as a client that cannot reach Kafka does. */
    refuseCommits: 0,
    refused: 0,
  };
  const consumer: KafkaGroupConsumer = {
    start: () => Promise.resolve(),
    pause: (ps) => ps.forEach((p) => state.paused.add(`${p.topic}/${p.partition}`)),
    resume: (ps) => ps.forEach((p) => state.paused.delete(`${p.topic}/${p.partition}`)),
    commit: (offsets) => {
      if (state.refuseCommits > 0) {
        state.refuseCommits--;
        state.refused++;
        return Promise.reject(
          new BrokerError('ERR_BROKER_UNREACHABLE', 'kafka', 'cannot reach Kafka (commit)'),
        );
      }
      state.commits.push(offsets.map((o) => ({ ...o })));
      return Promise.resolve();
    },
    stop: () => Promise.resolve(),
  };
  const client: KafkaClient = {
    admin: () =>
      Promise.resolve({
        listTopics: () => Promise.resolve([...topics]),
        close: () => Promise.resolve(),
      } as never),
    publisher: () =>
      Promise.resolve({
        send: (topic: string, messages: readonly { headers?: unknown }[]) => {
          for (const m of messages) state.sent.push({ topic, headers: m.headers });
          return Promise.resolve([]);
        },
        close: () => Promise.resolve(),
      }),
    consumer: (_options, handlers) => {
      state.handlers = handlers;
      return consumer;
    },
  };
  const records = (partition: number, from: number, n: number, key = (i: number) => `k${i}`) =>
    Array.from({ length: n }, (_, i): KafkaRecord => ({
      topic: 'orders',
      partition,
      offset: String(from + i),
      key: Buffer.from(key(from + i)),
      value: Buffer.from(`v${from + i}`),
      headers: {},
      timestamp: '0',
    }));
  const deliver = (partition: number, from: number, n: number, key?: (i: number) => string) =>
    state.handlers?.onBatch({
      topic: 'orders',
      partition,
      highWatermark: String(from + n + 10),
      records: records(partition, from, n, key),
    });
  return { client, state, deliver };
}

const lastCommit = (commits: { partition: number; offset: string }[][], partition: number) =>
  commits
    .flat()
    .filter((c) => c.partition === partition)
    .at(-1)?.offset;

describe('kafkaProducer', () => {
  let pipeline: Pipeline | undefined;
  const subscriptions: [string, (e: unknown) => void][] = [];
  afterEach(async () => {
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

  async function run(
    fake: ReturnType<typeof fakeKafka>,
    options: Partial<KafkaProducerOptions>,
    handle: (m: Message) => Message | Promise<Message>,
    shutdownTimeout?: number,
  ) {
    const module = kafkaProducer({
      client: fake.client,
      groupId: 'g',
      topics: ['orders'],
      commitInterval: 10,
      ...options,
    });
    pipeline = createPipeline({
      name: 'unit',
      logger: quietLogger(),
      producer: { module },
      processors: { default: { concurrency: 4, maxDemand: 10 } },
      handleMessage: (_p, m) => handle(m),
      ...(shutdownTimeout !== undefined && { shutdownTimeout }),
    });
    await pipeline.start();
    await waitFor(() => fake.state.handlers !== undefined, 'the consumer');
    return module;
  }

  it('names every bad option in one error', () => {
    expect(() =>
      kafkaProducer({
        groupId: '',
        topics: [],
        onFailure: 'dlq',
        retry: { maxAttempts: 0 },
      } as never),
    ).toThrow(InvalidOptionsError);
    expect(() =>
      kafkaProducer({ brokers: ['b:9092'], groupId: 'g', topics: ['t'], onFailure: 'dlq' }),
    ).toThrow(
      "invalid kafka producer options: dlq: expected { topic }, required with onFailure: 'dlq'",
    );
    expect(() =>
      kafkaProducer({ groupId: 'g', topics: ['t'], sessionTimeout: 1000, heartbeatInterval: 2000 }),
    ).toThrow('heartbeatInterval: expected less than sessionTimeout (1000), got 2000');
  });

  it('fails start() with ERR_TOPIC_NOT_FOUND naming the missing topics', async () => {
    const fake = fakeKafka(['orders']);
    const module = kafkaProducer({ client: fake.client, groupId: 'g', topics: ['orders', 'nope'] });
    const p = createPipeline({
      name: 'missing',
      logger: quietLogger(),
      producer: { module },
      processors: { default: {} },
      handleMessage: (_p, m) => m,
    });
    const error = await p.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BrokerError);
    expect((error as BrokerError).code).toBe('ERR_TOPIC_NOT_FOUND');
    expect((error as BrokerError).message).toContain('nope');
  });

  it("fails start() with the client's refusal of groupProtocol, before any member tries to join", async () => {
    const fake = fakeKafka(['orders']);
    const asked: unknown[][] = [];
    const message = 'the brokers refuse the consumer group protocol (KIP-848): UNSUPPORTED_VERSION';
    const client: KafkaClient = {
      ...fake.client,
      checkGroupProtocol: (...args) => {
        asked.push(args);
        return Promise.reject(
          new InvalidOptionsError(
            'kafka producer options',
            [{ path: 'groupProtocol', message, value: 'consumer' }],
            [`groupProtocol: ${message}, got 'consumer'`],
          ),
        );
      },
    };
    const module = kafkaProducer({
      client,
      groupId: 'g',
      topics: ['orders'],
      groupProtocol: 'consumer',
    });
    const p = createPipeline({
      name: 'refused',
      logger: quietLogger(),
      producer: { module },
      processors: { default: {} },
      handleMessage: (_p, m) => m,
    });
    const error = await p.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect((error as InvalidOptionsError).code).toBe('ERR_INVALID_OPTIONS');
    expect((error as Error).message).toBe(
      `invalid kafka producer options: groupProtocol: ${message}, got 'consumer'`,
    );
    expect(asked).toEqual([['g', 'consumer']]);
    expect(fake.state.handlers).toBeUndefined();
  });

  it('gives messages their metadata, id topic/partition/offset and batch key topic/partition', async () => {
    const fake = fakeKafka();
    const seen: Message[] = [];
    await run(fake, {}, (m) => {
      seen.push(m);
      return m;
    });
    fake.state.handlers?.onAssignment(1, [{ topic: 'orders', partition: 0 }]);
    fake.deliver(0, 7, 1);
    await waitFor(() => seen.length === 1, 'the message');
    const m = seen[0] as Message;
    expect(m.id).toBe('orders/0/7');
    expect(m.batchKey).toBe('orders/0');
    expect(String(m.data)).toBe('v7');
    const meta = m.metadata as unknown as KafkaMessageMetadata;
    expect(meta).toMatchObject({ topic: 'orders', partition: 0, offset: '7', timestamp: '0' });
    expect(String(meta.key)).toBe('k7');
  });

  it('in key mode keeps every processor busy (keys are not pinned to one) and each key in order', async () => {
    const fake = fakeKafka();
    const running = new Set<string>();
    const overlaps: string[] = [];
    const offsets = new Map<string, number[]>();
    let most = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const module = kafkaProducer({
      client: fake.client,
      groupId: 'g',
      topics: ['orders'],
      ordering: 'key',
      commitInterval: 10,
    });
    pipeline = createPipeline({
      name: 'keys',
      logger: quietLogger(),
      producer: { module },
      processors: { default: { concurrency: 8 } },
      handleMessage: async (_p, m) => {
        const meta = m.metadata;
        const key = String(meta.key);
        if (running.has(key)) overlaps.push(key);
        running.add(key);
        most = Math.max(most, running.size);
        await gate;
        running.delete(key);
        let list = offsets.get(key);
        if (list === undefined) offsets.set(key, (list = []));
        list.push(Number(meta.offset));
        return m;
      },
    });
    await pipeline.start();
    await waitFor(() => fake.state.handlers !== undefined, 'the consumer');
    fake.state.handlers?.onAssignment(1, [{ topic: 'orders', partition: 0 }]);
    // 8 keys, 4 messages each, on 8 processors: hashed to processors (as
    // partitionBy once did), these keys fall on only 6 of them.
    fake.deliver(0, 0, 32, (i) => `c${(i % 8) * 7}`);
    await waitFor(
      () => running.size === 8,
      () => `8 handlers busy at once, got ${running.size}`,
      5_000,
    );
    release();
    await waitFor(() => [...offsets.values()].flat().length === 32, 'every message handled');
    expect(most).toBe(8);
    expect(overlaps).toEqual([]);
    for (let k = 0; k < 8; k++) {
      expect(offsets.get(`c${k * 7}`)).toEqual([k, k + 8, k + 16, k + 24]);
    }
  });

  it('pauses a partition whose buffer is full and resumes it once drained', async () => {
    const fake = fakeKafka();
    const pauses = listen(kafkaChannels.pause);
    const resumes = listen(kafkaChannels.resume);
    const fetches = listen(kafkaChannels.fetch);
    const lags = listen(kafkaChannels.lag);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let handled = 0;
    await run(fake, { maxBufferedPerPartition: 20 }, async (m) => {
      await gate;
      handled++;
      return m;
    });
    fake.state.handlers?.onAssignment(1, [{ topic: 'orders', partition: 0 }]);
    fake.deliver(0, 0, 100);
    expect(fake.state.paused.has('orders/0')).toBe(true);
    expect(pauses).toHaveLength(1);
    expect(fetches).toHaveLength(1);
    expect(lags).toMatchObject([{ lag: 10 }]);
    release();
    await waitFor(() => handled === 100, 'all handled');
    expect(fake.state.paused.has('orders/0')).toBe(false);
    expect(resumes.length).toBeGreaterThan(0);
  });

  it.each([
    // 150 records of 5 to 8 key and value bytes each: over the count bound
    // of 100 (4 processors × maxDemand 10, at least 100), about 1,000 bytes.
    [100_000, false],
    [400, true],
  ])(
    'by default pauses only when the buffer also holds two fetches of bytes (maxBytesPerPartition %i: paused %s)',
    async (maxBytesPerPartition, paused) => {
      const fake = fakeKafka();
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let handled = 0;
      await run(fake, { fetch: { maxBytesPerPartition } }, async (m) => {
        await gate;
        handled++;
        return m;
      });
      fake.state.handlers?.onAssignment(1, [{ topic: 'orders', partition: 0 }]);
      fake.deliver(0, 0, 150);
      expect(fake.state.paused.has('orders/0')).toBe(paused);
      release();
      await waitFor(() => handled === 150, 'all handled');
      expect(fake.state.paused.has('orders/0')).toBe(false);
    },
  );

  it('resumes a partition that was paused when it was revoked and comes back later', async () => {
    // kafkajs keeps a partition's pause across rebalances, even after it moved away.
    const fake = fakeKafka();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const handled = new Set<string>();
    await run(fake, { maxBufferedPerPartition: 20, revokeTimeout: 10 }, async (m) => {
      await gate;
      handled.add(String(m.id));
      return m;
    });
    const h = fake.state.handlers as KafkaConsumerHandlers;
    h.onAssignment(1, [{ topic: 'orders', partition: 0 }]);
    fake.deliver(0, 0, 100);
    expect(fake.state.paused.has('orders/0')).toBe(true);
    await h.onRebalanceStart();
    h.onAssignment(2, []);
    await h.onRebalanceStart();
    h.onAssignment(3, [{ topic: 'orders', partition: 0 }]);
    expect(fake.state.paused.has('orders/0')).toBe(false);
    release();
    fake.deliver(0, 0, 5);
    await waitFor(() => handled.has('orders/0/4'), 'the partition fetched again');
  });

  it('on revoke, drops the buffered messages, drops late acks with telemetry, and commits only partitions it owns', async () => {
    const fake = fakeKafka();
    const rebalances = listen(kafkaChannels.rebalance);
    const late = listen(kafkaChannels.lateAck);
    const commits = listen(kafkaChannels.commit);
    const releases: (() => void)[] = [];
    const handled: string[] = [];
    // with retries, one message per partition is in flight: partition 1 holds one, buffers two
    await run(fake, { retry: { maxAttempts: 2 }, revokeTimeout: 50 }, async (m) => {
      if ((m.metadata as unknown as KafkaMessageMetadata).partition === 1) {
        await new Promise<void>((r) => releases.push(r));
      }
      handled.push(String(m.id));
      return m;
    });
    const h = fake.state.handlers as KafkaConsumerHandlers;
    h.onAssignment(1, [
      { topic: 'orders', partition: 0 },
      { topic: 'orders', partition: 1 },
    ]);
    fake.deliver(1, 0, 3);
    fake.deliver(0, 0, 2);
    await waitFor(() => releases.length === 1 && handled.length === 2, 'partition 1 in flight');
    await h.onRebalanceStart(); // resolves after revokeTimeout: partition 1 is still in flight
    h.onAssignment(2, [{ topic: 'orders', partition: 0 }]);
    expect(rebalances.slice(1)).toMatchObject([
      { phase: 'start' },
      { phase: 'revoked', generation: 2, partitions: [{ partition: 1 }], dropped: 2, inFlight: 1 },
      { phase: 'assigned', generation: 2, partitions: [{ partition: 0 }] },
    ]);
    releases[0]?.();
    await waitFor(() => late.length === 1, 'the late ack');
    expect(late[0]).toMatchObject({ partition: 1, count: 1 });
    await new Promise((r) => setTimeout(r, 50));
    expect(handled).toEqual(['orders/0/0', 'orders/0/1', 'orders/1/0']);
    expect(lastCommit(fake.state.commits, 0)).toBe('2');
    // partition 1 never committed past the message still in flight when it moved
    expect(['0', undefined]).toContain(lastCommit(fake.state.commits, 1));
    expect(commits.length).toBeGreaterThan(0);
  });

  it('on a KIP-848 revoke, drains and commits only the revoked partition while the others go on', async () => {
    const fake = fakeKafka();
    const commits = listen(kafkaChannels.commit) as { reason: string; offsets: unknown[] }[];
    const releases: (() => void)[] = [];
    const handled: string[] = [];
    await run(fake, { commitInterval: 60_000, revokeTimeout: 10_000 }, async (m) => {
      if ((m.metadata as unknown as KafkaMessageMetadata).partition === 1) {
        await new Promise<void>((r) => releases.push(r));
      }
      handled.push(String(m.id));
      return m;
    });
    const h = fake.state.handlers as KafkaConsumerHandlers;
    h.onAssignment(1, [
      { topic: 'orders', partition: 0 },
      { topic: 'orders', partition: 1 },
    ]);
    fake.deliver(1, 0, 1);
    await waitFor(() => releases.length === 1, 'partition 1 in flight');
    const revoked = h.onRevoke([{ topic: 'orders', partition: 1 }]);
    fake.deliver(1, 1, 2); // fetched before the pause took effect: dropped, never handed out
    fake.deliver(0, 0, 3);
    // partition 0 keeps going while partition 1 drains
    await waitFor(() => handled.length === 3, 'partition 0 handled during the revoke');
    expect(fake.state.paused).toContain('orders/1');
    expect(commits.filter((c) => c.reason === 'rebalance')).toHaveLength(0);
    releases[0]?.();
    await revoked;
    expect(commits.filter((c) => c.reason === 'rebalance').map((c) => c.offsets)).toEqual([
      [{ topic: 'orders', partition: 1, offset: '1' }],
    ]);
    h.onAssignment(2, [{ topic: 'orders', partition: 0 }]);
    expect(handled).toEqual(['orders/0/0', 'orders/0/1', 'orders/0/2', 'orders/1/0']);
  });

  it('tries the final commit again while the client cannot reach Kafka, and stops with everything committed', async () => {
    const fake = fakeKafka();
    const handled: string[] = [];
    await run(fake, { commitInterval: 60_000 }, (m) => {
      handled.push(String(m.id));
      return m;
    });
    (fake.state.handlers as KafkaConsumerHandlers).onAssignment(1, [
      { topic: 'orders', partition: 0 },
    ]);
    fake.deliver(0, 0, 5);
    await waitFor(() => handled.length === 5, 'every message');
    // The drain's commit, the stop's, and one retry are refused; the next one lands.
    fake.state.refuseCommits = 3;
    const report = await pipeline?.stop();
    pipeline = undefined;
    expect(fake.state.refused).toBe(3);
    expect(lastCommit(fake.state.commits, 0)).toBe('5');
    expect(report).toEqual({ unacked: 0, timedOut: false });
  });

  it('gives up the final commit once shutdownTimeout has passed, and reports what it could not commit as un-acked', async () => {
    const fake = fakeKafka();
    const handled: string[] = [];
    const keep = (m: Message) => {
      handled.push(String(m.id));
      return m;
    };
    await run(fake, { commitInterval: 60_000 }, keep, 500);
    (fake.state.handlers as KafkaConsumerHandlers).onAssignment(1, [
      { topic: 'orders', partition: 0 },
    ]);
    fake.deliver(0, 0, 5);
    await waitFor(() => handled.length === 5, 'every message');
    fake.state.refuseCommits = Number.POSITIVE_INFINITY;
    const report = await pipeline?.stop();
    pipeline = undefined;
    expect(fake.state.refused).toBeGreaterThan(2);
    expect(lastCommit(fake.state.commits, 0)).toBeUndefined();
    expect(report?.unacked).toBe(5);
  });

  it('keeps a partition it still owns across a rebalance and skips what kafkajs fetches again', async () => {
    const fake = fakeKafka();
    const handled: string[] = [];
    await run(fake, {}, (m) => {
      handled.push(String(m.id));
      return m;
    });
    const h = fake.state.handlers as KafkaConsumerHandlers;
    h.onAssignment(1, [{ topic: 'orders', partition: 0 }]);
    fake.deliver(0, 0, 5);
    await waitFor(() => handled.length === 5, 'first five');
    void h.onRebalanceStart();
    h.onAssignment(2, [{ topic: 'orders', partition: 0 }]);
    fake.deliver(0, 3, 4); // 3 and 4 again, then 5 and 6
    await waitFor(() => handled.length === 7, 'two more');
    expect(handled.slice(5)).toEqual(['orders/0/5', 'orders/0/6']);
  });

  it('publishes retries, dead-letter produces, halts and client errors', async () => {
    const fake = fakeKafka(['orders', 'dead']);
    const retries = listen(kafkaChannels.retry);
    const dlqs = listen(kafkaChannels.dlq);
    const halts = listen(kafkaChannels.halt);
    const errors = listen(kafkaChannels.error);
    const commitErrors = listen(kafkaChannels.commitError);
    void commitErrors;
    await run(
      fake,
      {
        onFailure: 'dlq',
        dlq: { topic: 'dead' },
        retry: { maxAttempts: 2, backoff: { initial: 1 } },
      },
      (m) => m.fail('nope'),
    );
    const h = fake.state.handlers as KafkaConsumerHandlers;
    h.onAssignment(1, [{ topic: 'orders', partition: 0 }]);
    fake.deliver(0, 0, 1);
    await waitFor(() => dlqs.length === 1, 'the dead letter');
    expect(retries).toMatchObject([{ attempt: 1, offset: '0' }]);
    expect(fake.state.sent).toMatchObject([
      { topic: 'dead', headers: { 'sluice-failure-reason': 'nope', 'sluice-offset': '0' } },
    ]);
    h.onError(new Error('connection lost'));
    expect(errors).toHaveLength(1);
    expect(halts).toHaveLength(0);
  });
});
