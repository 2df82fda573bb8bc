/**
 * The RabbitMQ producer's calls after connecting are bounded by
 * `requestTimeout`: the publisher confirms of a retry republish, cancelling
 * the consumer at draining, closing the channel and the connection. On a
 * frozen broker each fails with ERR_BROKER_TIMEOUT instead of hanging, and
 * an unconfirmed republish never acks the original.
 */
import type { Message, ProducerInstance, ResolvedDefinition } from '@sluice/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { rabbitmqProducer, type RabbitMqProducerOptions } from '../../src/rabbitmq/index.ts';
import { resolveOptions } from '../../src/rabbitmq/options.ts';
import { FAKE_URL, FakeClient, memoryLogger } from './support.ts';

const definition = {
  name: 'p',
  producer: { concurrency: 1 },
  processor: { key: 'default', concurrency: 2, maxDemand: 10, minDemand: 5, timeout: undefined },
  batchers: [],
  shutdownTimeout: 30_000,
} as unknown as ResolvedDefinition<unknown>;

afterEach(() => {
  vi.useRealTimers();
});

async function harness(options: Partial<RabbitMqProducerOptions> = {}) {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
  const client = new FakeClient();
  const module = rabbitmqProducer({
    url: FAKE_URL,
    queue: 'q',
    client,
    prefetch: 10,
    requestTimeout: 1000,
    ...options,
  });
  const logger = memoryLogger();
  const cleanup = (await module.prepareForStart?.({
    pipeline: 'p',
    concurrency: 1,
    logger,
    definition,
  })) as () => Promise<void>;
  const instance: ProducerInstance = await module.init({
    pipeline: 'p',
    index: 0,
    concurrency: 1,
    logger,
    definition,
    emit: () => undefined,
  });
  return { client, module, logger, instance, cleanup };
}

/** Records where a promise is, without awaiting it. */
function track(promise: PromiseLike<unknown> | void) {
  const state: { settled: boolean; error?: unknown } = { settled: false };
  void promise?.then(
    () => (state.settled = true),
    (error: unknown) => Object.assign(state, { settled: true, error }),
  );
  return state;
}

describe('rabbitmq requestTimeout', () => {
  it('defaults to 10000 ms and must be a positive number of ms', () => {
    const url = FAKE_URL;
    expect(resolveOptions({ url, queue: 'q' }).requestTimeout).toBe(10_000);
    expect(resolveOptions({ url, queue: 'q', requestTimeout: 50 }).requestTimeout).toBe(50);
    expect(() => resolveOptions({ url, queue: 'q', requestTimeout: 0 })).toThrow(/requestTimeout/);
  });

  it('drops the channel, and never acks the original, when a republish is never confirmed', async () => {
    const { client, module, logger, instance } = await harness({
      onFailure: 'retry',
      retry: { maxAttempts: 3 },
    });
    const channel = client.channel;
    channel.hang.add('waitForConfirms');
    channel.deliver({ messageId: 'a' });
    const [a] = (await instance.handleDemand(1)) as [Message];
    const acked = track(a.acknowledger.ack(a.ackRef, [], [a]));
    await vi.advanceTimersByTimeAsync(999);
    expect(acked.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(acked.settled).toBe(true);
    expect(channel.published).toHaveLength(1);
    expect(channel.wire).toEqual([]); // the original is not acked: the broker redelivers it
    expect(module.stats().staleAcks).toBe(1);
    expect(client.connections[0]?.closed).toBe(true);
    const lost = logger.lines.find((l) => l.msg.startsWith('lost the RabbitMQ'));
    expect(lost?.msg).toBe(
      'lost the RabbitMQ consumer of queue q: republishing to q.retry failed: RabbitMQ did not answer publisher confirms of the republish to q.retry within 1000 ms (requestTimeout); the call was abandoned',
    );
  });

  it('goes on draining when cancelling the consumer never answers', async () => {
    const { client, logger, instance } = await harness();
    client.channel.hang.add('cancel');
    const draining = track(instance.prepareForDraining?.());
    await vi.advanceTimersByTimeAsync(1000);
    expect(draining.settled).toBe(true);
    expect(draining.error).toBeUndefined();
    const warning = logger.lines.find((l) => l.msg.startsWith('could not cancel'));
    expect(warning?.fields).toMatchObject({ err: { code: 'ERR_BROKER_TIMEOUT' } });
  });

  it('closes within the timeouts when the channel and connection closes never answer, dropping the socket', async () => {
    const { client, logger, instance, cleanup } = await harness();
    client.channel.hang.add('close');
    const connection = client.connections[0]!;
    connection.hangClose = true;
    await instance.prepareForDraining?.();
    const closing = track(cleanup());
    await vi.advanceTimersByTimeAsync(1000); // the channel close
    expect(closing.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1000); // the connection close
    expect(closing.settled).toBe(true);
    expect(closing.error).toBeUndefined();
    expect(connection.destroyed).toBe(true);
    const warning = logger.lines.find((l) => l.msg.startsWith('RabbitMQ did not answer'));
    expect(warning?.fields).toMatchObject({ err: { code: 'ERR_BROKER_TIMEOUT' } });
  });
});
