import type { Kafka } from 'kafkajs';
import { describe, expect, it, vi } from 'vitest';
import { BrokerError } from '../../src/errors.ts';
import { KafkaJsClient } from '../../src/kafka/kafkajs-client.ts';

/** Errors shaped as kafkajs 2.2.4 throws them (its classes are not exported at run time). */
function protocolError(type: string, message: string): Error {
  return Object.assign(new Error(message), { name: 'KafkaJSProtocolError', type, retriable: true });
}

function retriesExceeded(cause: Error): Error {
  return Object.assign(new Error(cause.message), {
    name: 'KafkaJSNumberOfRetriesExceeded',
    retriable: false,
    cause,
  });
}

/** A kafkajs `Kafka` stand-in whose admin client runs `admin`'s methods. */
/** A group consumer of topic `orders` that records every error it reports in `heard`. */
function listeningConsumer(client: KafkaJsClient, heard: unknown[]) {
  return client.consumer(
    {
      groupId: 'g',
      topics: ['orders'],
      fromBeginning: false,
      sessionTimeout: 10_000,
      heartbeatInterval: 1000,
      rebalanceTimeout: 10_000,
      minBytes: 1,
      maxBytes: 1 << 20,
      maxBytesPerPartition: 1 << 20,
      maxWaitTimeInMs: 100,
    },
    {
      onBatch: () => undefined,
      onRebalanceStart: () => undefined,
      onRevoke: () => Promise.resolve(),
      onAssignment: () => undefined,
      onError: (error) => heard.push(error),
    },
  );
}

/**
 * A kafkajs `Kafka` whose consumer resolves `commitOffsets` and, when
 * `reports()` says so, emits COMMIT_OFFSETS as kafkajs does once the broker
 * took the offsets. (While its runner is stopped after a crash, kafkajs
 * resolves without sending anything and emits nothing.)
 */
function kafkaWithConsumer(reports: () => boolean): Kafka {
  const listeners = new Map<string, ((event: unknown) => void)[]>();
  const events = {
    REBALANCING: 'consumer.rebalancing',
    GROUP_JOIN: 'consumer.group_join',
    CRASH: 'consumer.crash',
    COMMIT_OFFSETS: 'consumer.commit_offsets',
  };
  const consumer = {
    events,
    on: (name: string, listener: (event: unknown) => void) => {
      listeners.set(name, [...(listeners.get(name) ?? []), listener]);
      return () => undefined;
    },
    connect: () => Promise.resolve(),
    subscribe: () => Promise.resolve(),
    run: () => Promise.resolve(),
    disconnect: () => Promise.resolve(),
    commitOffsets: (offsets: unknown) => {
      if (reports()) {
        for (const listener of listeners.get(events.COMMIT_OFFSETS) ?? []) {
          listener({ payload: { topics: offsets } });
        }
      }
      return Promise.resolve();
    },
  };
  return { consumer: () => consumer, admin: () => ({}), producer: () => ({}) } as unknown as Kafka;
}

function fakeKafka(admin: Record<string, (...args: never[]) => Promise<unknown>>): Kafka {
  const base = { connect: () => Promise.resolve(), disconnect: () => Promise.resolve() };
  return { admin: () => ({ ...base, ...admin }) } as unknown as Kafka;
}

async function rejection(promise: Promise<unknown>): Promise<BrokerError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BrokerError);
  return error as BrokerError;
}

describe('KafkaJsClient', () => {
  it('reports an unknown topic as ERR_TOPIC_NOT_FOUND, naming the topic', async () => {
    const unknown = retriesExceeded(
      protocolError('UNKNOWN_TOPIC_OR_PARTITION', 'This server does not host this topic-partition'),
    );
    const client = new KafkaJsClient(
      fakeKafka({
        fetchTopicOffsets: () => Promise.reject(unknown),
      }),
    );
    const admin = await client.admin();
    const error = await rejection(admin.fetchTopicOffsets('orders'));
    expect(error.code).toBe('ERR_TOPIC_NOT_FOUND');
    expect(error.broker).toBe('kafka');
    expect(error.message).toBe('Kafka topic orders does not exist (fetchTopicOffsets)');
    expect(error.cause).toBe(unknown);
  });

  it('reports a refused connection as ERR_BROKER_UNREACHABLE, naming the brokers', async () => {
    const client = new KafkaJsClient({ brokers: ['127.0.0.1:1'], retry: { retries: 0 } });
    const error = await rejection(client.admin());
    expect(error.code).toBe('ERR_BROKER_UNREACHABLE');
    expect(error.message).toMatch(
      /^cannot reach Kafka at 127\.0\.0\.1:1 \(connect\): .*ECONNREFUSED/,
    );
  });

  it('tells a running consumer of a failed connection while kafkajs still retries, once', async () => {
    // Five retries: kafkajs keeps trying for several seconds before start() fails.
    const client = new KafkaJsClient({ brokers: ['127.0.0.1:1'], retry: { retries: 5 } });
    const heard: unknown[] = [];
    const consumer = listeningConsumer(client, heard);
    let startFailed = false;
    const started = consumer.start().catch(() => (startFailed = true));
    await vi.waitUntil(() => heard.length > 0, { timeout: 30_000, interval: 20 });
    // Heard while kafkajs was still retrying, not when it gave up.
    expect(startFailed).toBe(false);
    expect(heard).toHaveLength(1);
    const error = heard[0] as BrokerError;
    expect(error).toBeInstanceOf(BrokerError);
    expect(error.code).toBe('ERR_BROKER_UNREACHABLE');
    expect(error.message).toMatch(
      /^cannot reach Kafka at 127\.0\.0\.1:1 \(connect\): Connection error: .*ECONNREFUSED/,
    );
    await consumer.stop();
    await started;
    // Many more connection attempts failed meanwhile; reports are at most one per 10 s.
    expect(heard).toHaveLength(1);
  });

  it('still hears of a failed connection when the config brings its own logCreator, which gets every entry too', async () => {
    const logged: { level: number; namespace: string; message: string }[] = [];
    const client = new KafkaJsClient({
      brokers: ['127.0.0.1:1'],
      retry: { retries: 5 },
      logCreator: () => (entry) =>
        logged.push({
          level: entry.level,
          namespace: entry.namespace,
          message: entry.log.message,
        }),
    });
    const heard: unknown[] = [];
    const consumer = listeningConsumer(client, heard);
    let startFailed = false;
    const started = consumer.start().catch(() => (startFailed = true));
    await vi.waitUntil(() => heard.length > 0, { timeout: 30_000, interval: 20 });
    // Heard from the log, while kafkajs was still retrying.
    expect(startFailed).toBe(false);
    expect(heard[0]).toBeInstanceOf(BrokerError);
    expect((heard[0] as BrokerError).code).toBe('ERR_BROKER_UNREACHABLE');
    // The caller's logger saw the same connection errors, and more.
    expect(logged).toContainEqual(
      expect.objectContaining({
        namespace: 'Connection',
        message: expect.stringMatching(/^Connection error/) as unknown,
      }),
    );
    await consumer.stop();
    await started;
  });

  it('fails a commit that kafkajs resolved without sending (its runner stopped), naming why', async () => {
    let running = true;
    const client = new KafkaJsClient(kafkaWithConsumer(() => running));
    const consumer = listeningConsumer(client, []);
    await consumer.start();
    const offsets = [{ topic: 'orders', partition: 0, offset: '5' }];
    await consumer.commit(offsets);
    running = false;
    const error = await rejection(consumer.commit(offsets));
    expect(error.code).toBe('ERR_BROKER_REQUEST');
    expect(error.message).toBe(
      'Kafka commit not sent: kafkajs dropped it, its consumer is not running',
    );
    await consumer.stop();
  });

  it('reports other kafkajs errors as ERR_BROKER_REQUEST', async () => {
    const denied = protocolError('TOPIC_AUTHORIZATION_FAILED', 'Not authorized to access topics');
    const client = new KafkaJsClient(fakeKafka({ deleteTopics: () => Promise.reject(denied) }));
    const admin = await client.admin();
    const error = await rejection(admin.deleteTopics(['orders']));
    expect(error.code).toBe('ERR_BROKER_REQUEST');
    expect(error.message).toBe(
      'Kafka deleteTopics on topic orders failed: Not authorized to access topics',
    );
  });

  it('ignores groups that do not exist when deleting groups', async () => {
    const notFound = Object.assign(new Error('Error in DeleteGroups'), {
      name: 'KafkaJSDeleteGroupsError',
      groups: [
        {
          groupId: 'gone',
          errorCode: 69,
          error: protocolError('GROUP_ID_NOT_FOUND', 'The group id does not exist'),
        },
      ],
    });
    const client = new KafkaJsClient(fakeKafka({ deleteGroups: () => Promise.reject(notFound) }));
    const admin = await client.admin();
    await expect(admin.deleteGroups(['gone'])).resolves.toBeUndefined();
  });

  it('still reports a group that could not be deleted for another reason', async () => {
    const notEmpty = Object.assign(new Error('Error in DeleteGroups'), {
      name: 'KafkaJSDeleteGroupsError',
      groups: [
        {
          groupId: 'busy',
          errorCode: 68,
          error: protocolError('NON_EMPTY_GROUP', 'The group is not empty'),
        },
      ],
    });
    const client = new KafkaJsClient(fakeKafka({ deleteGroups: () => Promise.reject(notEmpty) }));
    const admin = await client.admin();
    expect((await rejection(admin.deleteGroups(['busy']))).code).toBe('ERR_BROKER_REQUEST');
  });

  it('reports a partition without a committed offset as null', async () => {
    const client = new KafkaJsClient(
      fakeKafka({
        fetchOffsets: () =>
          Promise.resolve([
            {
              topic: 'orders',
              partitions: [
                { partition: 1, offset: '-1', metadata: null },
                { partition: 0, offset: '42', metadata: null },
              ],
            },
          ]),
      }),
    );
    const admin = await client.admin();
    expect(await admin.fetchCommittedOffsets('g', 'orders')).toEqual([
      { partition: 0, offset: '42' },
      { partition: 1, offset: null },
    ]);
  });
});
