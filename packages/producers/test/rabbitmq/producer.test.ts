import diagnostics from 'node:diagnostics_channel';
import type { Message, ProducerContext, ProducerInstance, ResolvedDefinition } from '@sluice/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BrokerError } from '../../src/errors.ts';
import {
  rabbitmqChannels,
  rabbitmqProducer,
  type RabbitMqProducerOptions,
} from '../../src/rabbitmq/index.ts';
import { FAKE_URL, FakeClient, memoryLogger } from './support.ts';

const tick = () => new Promise<void>((r) => setImmediate(r));

function definition(overrides: Record<string, unknown> = {}): ResolvedDefinition<unknown> {
  return {
    name: 'p',
    producer: { concurrency: 1 },
    processor: { key: 'default', concurrency: 2, maxDemand: 10, minDemand: 5, timeout: undefined },
    batchers: [],
    shutdownTimeout: 30_000,
    ...overrides,
  } as unknown as ResolvedDefinition<unknown>;
}

async function harness(
  options: Partial<RabbitMqProducerOptions> = {},
  def: ResolvedDefinition<unknown> = definition(),
) {
  const client = new FakeClient();
  const module = rabbitmqProducer({
    url: FAKE_URL,
    queue: 'q',
    client,
    prefetch: 10,
    backoff: { initial: 100, max: 1000 },
    ...options,
  });
  const emitted: Message[] = [];
  const logger = memoryLogger();
  const context: ProducerContext = {
    pipeline: 'p',
    index: 0,
    concurrency: 1,
    logger,
    definition: def,
    emit: (messages) => emitted.push(...(messages as Message[])),
  };
  const cleanup = (await module.prepareForStart?.({
    pipeline: 'p',
    concurrency: 1,
    logger,
    definition: def,
  })) as () => Promise<void>;
  const instance: ProducerInstance = await module.init(context);
  const ack = (successful: Message[], failed: Message[] = []) =>
    (successful[0] ?? failed[0])?.acknowledger.ack(
      (successful[0] ?? failed[0])?.ackRef,
      successful,
      failed,
    );
  return { client, module, emitted, logger, instance, cleanup, ack };
}

const events: Record<string, unknown[]> = {};
const listeners = Object.values(rabbitmqChannels).map(
  (name) => [name, (e: unknown) => (events[name] ??= []).push(e)] as const,
);
beforeEach(() => {
  for (const key of Object.keys(events)) delete events[key];
  for (const [name, l] of listeners) diagnostics.subscribe(name, l);
});
afterEach(() => {
  for (const [name, l] of listeners) diagnostics.unsubscribe(name, l);
  vi.useRealTimers();
});

describe('rabbitmqProducer with a fake channel', () => {
  it('sets up qos, declare, retry queue, bindings and consume, in that order', async () => {
    const afterConnect = vi.fn();
    const { client } = await harness({
      prefetch: 25,
      afterConnect,
      declare: { arguments: { 'x-queue-type': 'quorum' } },
      bindings: [{ exchange: 'orders', routingKey: 'new' }],
      retry: { maxAttempts: 2 },
      connection: { heartbeat: 15 },
    });
    expect(afterConnect).toHaveBeenCalledWith(client.channel);
    expect(client.channel.setup).toEqual([
      'prefetch 25',
      'assertQueue q {"x-queue-type":"quorum"}',
      'assertQueue q.retry {"x-dead-letter-exchange":"","x-dead-letter-routing-key":"q"}',
      'bindQueue q orders new',
      'consume q',
    ]);
    expect(client.urls[0]).toMatch(/\?heartbeat=15$/);
    expect(events[rabbitmqChannels.connectionOpen]).toEqual([
      { pipeline: 'p', index: 0, queue: 'q', generation: 1, connectionName: 'sluice-p-0' },
    ]);
  });

  it('holds deliveries beyond demand and emits only what was asked', async () => {
    const { client, instance, emitted } = await harness();
    for (let i = 0; i < 5; i++) client.channel.deliver({ messageId: `m${i}` });
    await tick();
    expect(emitted).toEqual([]);
    const first = (await instance.handleDemand(2)) as Message[];
    expect(first.map((m) => m.id)).toEqual(['m0', 'm1']);
    const second = (await instance.handleDemand(4)) as Message[];
    expect(second.map((m) => m.id)).toEqual(['m2', 'm3', 'm4']);
    client.channel.deliver({ messageId: 'm5' });
    client.channel.deliver({ messageId: 'm6' });
    await tick();
    expect(emitted.map((m) => m.id)).toEqual(['m5']); // one unit of demand was left
    expect(((await instance.handleDemand(5)) as Message[]).map((m) => m.id)).toEqual(['m6']);
  });

  it('copies the base metadata and the asked-for properties; ids fall back to generation:tag', async () => {
    const { client, instance } = await harness({ metadata: ['contentType', 'priority'] });
    client.channel.deliver({
      contentType: 'application/json',
      priority: 3,
      appId: 'x',
      headers: { a: 1 },
    });
    const [m] = (await instance.handleDemand(1)) as Message[];
    expect(m?.id).toBe('1:1');
    expect(m?.data).toEqual(Buffer.from('m1'));
    expect(m?.metadata).toEqual({
      deliveryTag: 1,
      redelivered: false,
      exchange: '',
      routingKey: 'q',
      headers: { a: 1 },
      contentType: 'application/json',
      priority: 3,
    });
  });

  it('coalesces contiguous successes into one multiple ack, and acks stragglers one by one', async () => {
    const { client, instance, ack } = await harness();
    for (let i = 0; i < 6; i++) client.channel.deliver();
    const ms = (await instance.handleDemand(6)) as Message[];
    const [m1, m2, m3, , m5] = ms as [Message, Message, Message, Message, Message];
    ack([m2]);
    ack([m1, m3]);
    await ack([m5]);
    expect(client.channel.wire).toEqual([
      ['ack', 3, true],
      ['ack', 5, false],
    ]);
    expect(events[rabbitmqChannels.ack]).toMatchObject([
      { deliveryTag: 3, multiple: true, count: 3, generation: 1 },
      { deliveryTag: 5, multiple: false, count: 1 },
    ]);
  });

  it("applies 'reject' by default, 'requeueOnce' by redelivery, and configureAck per message", async () => {
    const { client, instance, ack } = await harness();
    client.channel.deliver();
    client.channel.deliver();
    client.channel.deliver({ redelivered: true });
    client.channel.deliver();
    const [a, b, c, d] = (await instance.handleDemand(4)) as [Message, Message, Message, Message];
    b.configureAck({ onFailure: 'requeueOnce' });
    c.configureAck({ onFailure: 'requeueOnce' });
    d.configureAck({ onSuccess: 'reject' });
    await ack([d], [c, a, b]);
    expect(client.channel.wire).toEqual([
      ['reject', 1, false],
      ['reject', 2, true],
      ['nack', 4, true, false], // 3 (redelivered) and 4 (onSuccess reject): rejected together
    ]);
    expect(events[rabbitmqChannels.reject]).toHaveLength(3);
    expect(() => a.configureAck({ onFailure: 'explode' })).toThrow(
      /invalid rabbitmq configureAck options: onFailure: expected one of/,
    );
    expect(() => a.configureAck({ onFailure: 'retry' })).toThrow(
      /needs the producer's retry option/,
    );
  });

  it('retries by republishing to the retry queue with a TTL and a count, acks, then rejects the last attempt', async () => {
    const { client, instance, ack } = await harness({
      onFailure: 'retry',
      retry: { maxAttempts: 3, delay: { initial: 100, max: 1000 } },
    });
    client.channel.deliver({ messageId: 'a', headers: { keep: 'me' }, deliveryMode: 2 });
    client.channel.deliver({ messageId: 'b', headers: { 'x-sluice-attempts': 2 } });
    const [a, b] = (await instance.handleDemand(2)) as [Message, Message];
    await ack([], [a, b]);
    await tick();
    expect(client.channel.published).toEqual([
      {
        queue: 'q.retry',
        content: Buffer.from('m1'),
        options: {
          messageId: 'a',
          persistent: true,
          expiration: 100,
          headers: { keep: 'me', 'x-sluice-attempts': 1 },
        },
      },
    ]);
    expect(client.channel.wire).toEqual([
      ['reject', 2, false],
      ['ack', 1, false],
    ]);
    expect(events[rabbitmqChannels.retry]).toMatchObject([
      { messageId: 'a', attempt: 1, delayMs: 100 },
    ]);
  });

  it('rejects acks decided but not yet sent when the connection drops, so they count as not acked', async () => {
    const { client, instance, ack } = await harness();
    client.channel.deliver();
    client.channel.deliver();
    const [m1, m2] = (await instance.handleDemand(2)) as [Message, Message];
    const oldChannel = client.channel;
    const acked = ack([m1, m2]); // coalesced: sent on the next turn
    client.connections[0]?.drop(new Error('Unexpected close'));
    await expect(acked).rejects.toMatchObject({
      code: 'ERR_ACK_FAILED',
      message:
        '2 acks of channel generation 1 were not sent (the channel closed); the broker redelivers those messages',
    });
    expect(oldChannel.wire).toEqual([]);
  });

  it('drops acks for a dead channel, counts them, and never sends them on the new channel', async () => {
    vi.useFakeTimers({
      toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
    });
    const { client, instance, ack, module, logger } = await harness();
    client.channel.deliver();
    client.channel.deliver();
    const [old1, old2] = (await instance.handleDemand(2)) as [Message, Message];
    const oldChannel = client.channel;
    client.connections[0]?.drop(new Error('Unexpected close'));
    expect(events[rabbitmqChannels.connectionClose]).toMatchObject([
      { generation: 1, reason: expect.stringMatching(/closed/) as unknown },
    ]);
    expect(events[rabbitmqChannels.reconnect]).toMatchObject([{ attempt: 1 }]);
    const { delayMs } = events[rabbitmqChannels.reconnect]?.[0] as { delayMs: number };
    expect(delayMs).toBeGreaterThanOrEqual(50); // jittered over [initial/2, initial]
    expect(delayMs).toBeLessThanOrEqual(100);
    await vi.advanceTimersByTimeAsync(delayMs);
    expect(client.connections).toHaveLength(2);
    const newChannel = client.channel;
    newChannel.deliver(); // tag 1 again, on the new channel

    // The ack rejects, so the pipeline counts both as not acked (its stop
    // report says so) instead of as acked (issue 15).
    await expect(ack([old1, old2])).rejects.toMatchObject({
      code: 'ERR_ACK_FAILED',
      message:
        '2 acks for deliveries of closed channel generation 1 cannot be sent; the broker redelivers those messages',
    });
    expect(oldChannel.wire).toEqual([]);
    expect(newChannel.wire).toEqual([]);
    expect(module.stats().staleAcks).toBe(2);
    expect(events[rabbitmqChannels.staleAcks]).toEqual([
      {
        pipeline: 'p',
        index: 0,
        queue: 'q',
        generation: 1,
        currentGeneration: 2,
        count: 2,
        total: 2,
      },
    ]);
    expect(logger.lines.some((l) => l.level === 'warn' && /broker redelivers/.test(l.msg))).toBe(
      true,
    );

    const [fresh] = (await instance.handleDemand(1)) as [Message];
    expect(fresh.id).toBe('2:1');
    await ack([fresh]);
    expect(newChannel.wire).toEqual([['ack', 1, false]]);
  });

  it('reconnects with growing randomized delays while connecting fails, then resumes', async () => {
    vi.useFakeTimers({
      toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
    });
    const { client, module } = await harness();
    client.failNext = [new Error('ECONNREFUSED'), new Error('ECONNREFUSED')];
    client.channel.brokerCancel();
    expect(events[rabbitmqChannels.connectionClose]).toMatchObject([
      { reason: expect.stringMatching(/cancelled/) as unknown },
    ]);
    for (let i = 0; i < 3; i++) {
      const last = events[rabbitmqChannels.reconnect]?.at(-1) as { delayMs: number };
      await vi.advanceTimersByTimeAsync(last.delayMs);
    }
    const attempts = (
      events[rabbitmqChannels.reconnect] as { attempt: number; delayMs: number }[]
    ).map((e) => e.attempt);
    expect(attempts).toEqual([1, 2, 3]);
    const delays = (events[rabbitmqChannels.reconnect] as { delayMs: number }[]).map(
      (e) => e.delayMs,
    );
    expect(delays[1]).toBeGreaterThanOrEqual(100);
    expect(delays[2]).toBeGreaterThanOrEqual(200);
    expect(events[rabbitmqChannels.connectionFailure]).toHaveLength(2);
    expect(client.connections).toHaveLength(2);
    expect(events[rabbitmqChannels.connectionOpen]).toHaveLength(2);
    expect(module.stats().reconnects).toBe(3);
  });

  it('drains: cancels the consumer, releases what it holds, acks in-flight work on the open channel', async () => {
    const { client, instance, ack, cleanup, module } = await harness();
    for (let i = 0; i < 4; i++) client.channel.deliver();
    const [inFlight] = (await instance.handleDemand(1)) as [Message];
    await instance.prepareForDraining?.();
    expect(client.channel.setup.at(-1)).toBe('cancel ctag-1');
    expect(client.channel.wire).toEqual([
      ['reject', 2, true],
      ['reject', 3, true],
      ['reject', 4, true],
    ]);
    expect(module.stats().released).toBe(3);
    expect(await instance.handleDemand(10)).toBeUndefined();
    await instance.terminate?.('shutdown'); // the producer stage stops first: the channel stays open
    expect(client.channel.closed).toBe(false);
    await ack([inFlight]);
    expect(client.channel.wire.at(-1)).toEqual(['ack', 1, false]);
    await cleanup();
    expect(client.channel.closed).toBe(true);
    expect(events[rabbitmqChannels.reconnect]).toBeUndefined();
  });

  it('fails start with the cause when the broker is unreachable', async () => {
    const client = new FakeClient();
    client.failNext = [
      new BrokerError('ERR_BROKER_UNREACHABLE', 'rabbitmq', 'cannot reach RabbitMQ'),
    ];
    await expect(harnessWith(client)).rejects.toMatchObject({ code: 'ERR_BROKER_UNREACHABLE' });
    expect(events[rabbitmqChannels.connectionFailure]).toMatchObject([{ attempt: 0 }]);
  });

  it('fails start after the connect timeout instead of hanging', async () => {
    vi.useFakeTimers({
      toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
    });
    const client = new FakeClient();
    client.hang = true;
    const started = harnessWith(client, { connection: { timeout: 2000 } });
    const result = expect(started).rejects.toThrow(
      /did not accept the connection and consumer for queue q within 2000 ms/,
    );
    await vi.advanceTimersByTimeAsync(2000);
    await result;
  });

  it('rejects bad options at once, naming each', () => {
    expect(() =>
      rabbitmqProducer({
        queue: '',
        prefetch: 0,
        url: 'http://x',
        onFailure: 'retry',
        backoff: { initial: 5000, max: 10 },
      }),
    ).toThrow(
      /^invalid rabbitmq producer options:[\s\S]*queue: expected a non-empty string, got ''\n {2}- url: expected an amqp:\/\/ or amqps:\/\/ URL, got 'http:\/\/x'\n {2}- prefetch: expected an integer from 1 to 65535, got 0\n {2}- backoff.max: expected at least initial \(5000\), got 10/,
    );
    expect(() => rabbitmqProducer({ url: FAKE_URL, queue: 'q', onFailure: 'retry' })).toThrow(
      /retry: expected retry settings/,
    );
    expect(() =>
      rabbitmqProducer({ url: FAKE_URL, queue: 'q', nope: 1 } as RabbitMqProducerOptions),
    ).toThrow(/nope: unknown option/);
  });

  it('warns at start when timeouts come near consumer_timeout or prefetch starves processors', async () => {
    const { logger } = await harness(
      { prefetch: 2, consumerTimeout: 60_000 },
      definition({
        shutdownTimeout: 50_000,
        batchers: [
          { key: 's3', batchSize: 10, batchTimeout: 40_000, concurrency: 1, maxDemand: 10 },
        ],
      }),
    );
    const warnings = logger.lines.filter((l) => l.level === 'warn').map((l) => l.msg);
    expect(warnings).toEqual(
      [
        expect.stringMatching(/^prefetch 2 is below the 2 processors|^prefetch 2/),
        expect.stringMatching(
          /^shutdownTimeout \(50000 ms\) comes near RabbitMQ's consumer_timeout/,
        ),
        expect.stringMatching(/^batchers\.s3\.batchTimeout \(40000 ms\)/),
      ].slice(warnings.length === 3 ? 0 : 1),
    );
  });
});

async function harnessWith(client: FakeClient, options: Partial<RabbitMqProducerOptions> = {}) {
  const module = rabbitmqProducer({ url: FAKE_URL, queue: 'q', client, ...options });
  return module.init({
    pipeline: 'p',
    index: 0,
    concurrency: 1,
    logger: memoryLogger(),
    definition: definition(),
    emit: () => undefined,
  });
}

describe('rabbitmqProducer in a pipeline, without a broker', () => {
  it('fails pipeline.start() with ERR_BROKER_UNREACHABLE when nothing listens', async () => {
    const { createPipeline } = await import('@sluice/core');
    const pipeline = createPipeline({
      name: 'nowhere',
      producer: {
        module: rabbitmqProducer({ queue: 'q', url: 'amqp://guest:secret@127.0.0.1:1' }),
      },
      processors: { default: { concurrency: 1 } },
      logger: memoryLogger(),
      handleMessage: (_p, m) => m,
    });
    const error: unknown = await pipeline.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BrokerError);
    expect(error).toMatchObject({ code: 'ERR_BROKER_UNREACHABLE' });
    expect((error as Error).message).toMatch(
      /cannot reach RabbitMQ at amqp:\/\/guest:\[redacted\]@127\.0\.0\.1:1/,
    );
    await pipeline.stop();
  });
});
