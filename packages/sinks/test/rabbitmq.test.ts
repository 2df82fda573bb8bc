/**
 * The RabbitMQ sink against the real broker (AMQP_URL, default the
 * loopback one), through a real pipeline: every acked message is on the
 * queue exactly once, with its trace context; a message the broker nacks
 * or returns fails alone; a closed channel fails what it had not
 * confirmed, and the next batch reconnects.
 */
import type { Pipeline } from '@sluice/core';
import { createTestQueue, type RabbitMqTestQueue } from '@sluice/producers/rabbitmq/testing';
import { brokerEnv } from '@sluice/producers/testing';
import { describeWithBroker } from '@sluice/producers/testing/vitest';
import { testBatch } from '@sluice/testing';
import { afterEach, expect, it } from 'vitest';
import type { Sink } from '../src/index.ts';
import { rabbitMqSink, type RabbitMqSinkOptions } from '../src/rabbitmq/index.ts';
import { json, sinkPipeline, traceOutgoing, traceparentOf } from './broker-pipeline.ts';

const order = (id: number) => ({ id, item: `sku-${id}` });
const reasonOf = (m: { status: unknown }) =>
  (m.status as { reason: Error & { code: string } }).reason;
const url = (): string => brokerEnv().amqpUrl;

describeWithBroker('rabbitmq', 'rabbitmq sink', () => {
  const open: {
    pipeline?: Pipeline;
    sink?: Sink;
    queue?: RabbitMqTestQueue;
    untrace?: () => void;
  } = {};

  afterEach(async () => {
    open.untrace?.();
    await open.pipeline?.stop();
    await open.sink?.close();
    await open.queue?.delete();
    for (const k of Object.keys(open)) delete open[k as keyof typeof open];
  });

  const start = async (
    batchSize: number,
    options: Partial<RabbitMqSinkOptions> = {},
    queueArguments?: Record<string, unknown>,
  ) => {
    open.queue = await createTestQueue(queueArguments ? { arguments: queueArguments } : {});
    open.sink = rabbitMqSink({ url: url(), routingKey: open.queue.name, ...options });
    open.pipeline = await sinkPipeline(open.sink, batchSize);
    return open.pipeline;
  };
  const bodies = async () => (await open.queue!.readAll()).map((m) => json(m.content.toString()));

  it('publishes every acked message exactly once, persistent, with its traceparent', async () => {
    open.untrace = traceOutgoing();
    const pipeline = await start(40);
    const data = Array.from({ length: 120 }, (_, i) => order(i));
    const { successful, failed } = await testBatch(pipeline, data);
    expect(failed).toEqual([]);
    expect(successful).toHaveLength(120);
    const received = await open.queue!.readAll();
    expect(received.map((m) => json(m.content.toString()))).toEqual(data);
    for (const m of received) {
      const { id } = json(m.content.toString());
      expect(m.headers['traceparent']).toBe(traceparentOf(id));
      expect(m.deliveryMode).toBe(2);
    }
  });

  it('fails only the messages the broker nacks mid-batch; the confirmed ones land once', async () => {
    // The queue takes 3 messages and nacks publishes beyond that.
    const pipeline = await start(5, {}, { 'x-max-length': 3, 'x-overflow': 'reject-publish' });
    const data = Array.from({ length: 5 }, (_, i) => order(i));
    const { successful, failed } = await testBatch(pipeline, data);
    expect(successful.map((m) => m.data)).toEqual(data.slice(0, 3));
    expect(failed.map((m) => m.data)).toEqual(data.slice(3));
    expect(reasonOf(failed[0]!).code).toBe('ERR_SINK_REFUSED');
    expect(reasonOf(failed[0]!).message).toMatch(
      /^RabbitMQ queue .*: the broker did not confirm it \(message nacked\)/,
    );
    expect(await bodies()).toEqual(data.slice(0, 3));
  });

  it('fails a message returned as unroutable (no queue for its routing key)', async () => {
    open.queue = await createTestQueue();
    open.sink = rabbitMqSink({ url: url(), routingKey: `${open.queue.name}-nowhere` });
    open.pipeline = await sinkPipeline(open.sink, 2);
    const { successful, failed } = await testBatch(open.pipeline, [order(1), order(2)]);
    expect(successful).toEqual([]);
    expect(failed).toHaveLength(2);
    expect(reasonOf(failed[0]!).code).toBe('ERR_SINK_REFUSED');
    expect(reasonOf(failed[0]!).message).toMatch(/returned it as unroutable \(312 NO_ROUTE\)/);
  });

  it('a channel the broker closes fails what it had not confirmed; the next batch reconnects', async () => {
    open.queue = await createTestQueue();
    // Publishing to an exchange that does not exist closes the channel (404).
    const exchange = `${open.queue.name}-missing`;
    open.sink = rabbitMqSink({ url: url(), exchange, routingKey: 'k' });
    open.pipeline = await sinkPipeline(open.sink, 2);
    const first = await testBatch(open.pipeline, [order(1), order(2)]);
    expect(first.successful).toEqual([]);
    expect(reasonOf(first.failed[0]!).code).toBe('ERR_SINK_UNAVAILABLE');
    const channel = await open.queue.connection.createChannel();
    await channel.assertExchange(exchange, 'direct', { durable: false, autoDelete: false });
    await channel.bindQueue(open.queue.name, exchange, 'k');
    try {
      const second = await testBatch(open.pipeline, [order(3), order(4)]);
      expect(second.failed).toEqual([]);
      expect(await bodies()).toEqual([order(3), order(4)]);
    } finally {
      await channel.close();
      const cleanup = await open.queue.connection.createChannel();
      await cleanup.deleteExchange(exchange);
      await cleanup.close();
    }
  });

  it('probe: reaches the queue, writing nothing; a missing queue is named', async () => {
    await start(1);
    await expect(open.sink!.probe!()).resolves.toBeUndefined();
    const missing = rabbitMqSink({ url: url(), routingKey: `${open.queue!.name}-missing` });
    await expect(missing.probe!()).rejects.toThrow(/missing/);
    await missing.close();
    expect(await open.queue!.readAll()).toEqual([]);
  });
});

it('rejects bad rabbitmq sink options naming the option and the value', () => {
  expect(() => rabbitMqSink({ url: 'http://x', routingKey: 1 } as never)).toThrow(
    /url.*routingKey|routingKey.*url/s,
  );
});
