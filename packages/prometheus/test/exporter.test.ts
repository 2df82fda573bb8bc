import diagnostics from 'node:diagnostics_channel';
import {
  Message,
  createPipeline,
  pipelineChannels,
  silentLogger,
  type Acknowledger,
  type ProducerModule,
} from '@sluice/core';
import { kafkaChannels } from '@sluice/producers/kafka';
import { rabbitmqChannels } from '@sluice/producers/rabbitmq';
import { sqsChannels } from '@sluice/producers/sqs';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { prometheusExporter, type PrometheusExporter } from '../src/index.ts';
import { brokerChannels } from '../src/broker-channels.ts';

let exporter: PrometheusExporter | undefined;
afterEach(() => {
  exporter?.close();
  exporter = undefined;
});

/** The value of one series, by metric name and labels. */
async function value(
  registry: Registry,
  name: string,
  labels: Record<string, string>,
): Promise<number | undefined> {
  const base = name.replace(/_(count|sum|bucket)$/, '');
  const metric = registry.getSingleMetric(base);
  if (metric === undefined) throw new Error(`no metric ${base}`);
  const { values } = await metric.get();
  const found = values.find(
    (v) =>
      ((v as { metricName?: string }).metricName ?? base) === name &&
      Object.entries(labels).every(([k, l]) => String(v.labels[k]) === l),
  );
  return found?.value;
}

/** Emits `data` once, on demand, acked through `acknowledger`. */
function listProducer(data: readonly number[], acknowledger: Acknowledger): ProducerModule {
  let next = 0;
  return {
    init: () => ({
      handleDemand(demand: number) {
        const out: Message[] = [];
        while (out.length < demand && next < data.length) {
          out.push(new Message({ data: data[next], id: next, acknowledger }));
          next++;
        }
        return out;
      },
    }),
  };
}

describe('prometheusExporter', () => {
  it('counts what pipeline.stats() counts, and times handlers and batches', async () => {
    exporter = prometheusExporter();
    const r = exporter.registry;
    const data = Array.from({ length: 25 }, (_, i) => i);
    const p = createPipeline({
      name: 'orders',
      logger: silentLogger,
      producer: { module: listProducer(data, { ack: () => undefined }) },
      processors: { default: { concurrency: 2 } },
      batchers: { db: { batchSize: 10, batchTimeout: 10 } },
      handleMessage: (_p, m) =>
        (m.data as number) % 5 === 0 ? m.fail('multiple of 5') : m.putBatcher('db'),
      handleBatch: (_b, ms) => ms,
    });
    await p.start();
    while (p.stats().successful + p.stats().failed < 25) await new Promise((r) => setTimeout(r, 5));
    await p.stop();
    const s = p.stats();
    expect(
      await value(r, 'sluice_messages_received_total', {
        pipeline: 'orders',
        processor: 'default',
      }),
    ).toBe(s.received);
    expect(
      await value(r, 'sluice_messages_acked_total', { pipeline: 'orders', outcome: 'successful' }),
    ).toBe(s.successful);
    expect(
      await value(r, 'sluice_messages_acked_total', { pipeline: 'orders', outcome: 'failed' }),
    ).toBe(s.failed);
    expect(s).toMatchObject({ received: 25, successful: 20, failed: 5 });
    expect(await value(r, 'sluice_messages_in_flight', { pipeline: 'orders' })).toBe(0);
    expect(await value(r, 'sluice_messages_buffered', { pipeline: 'orders', batcher: 'db' })).toBe(
      0,
    );
    expect(
      await value(r, 'sluice_handler_duration_seconds_count', {
        pipeline: 'orders',
        processor: 'default',
      }),
    ).toBe(25);
    // 20 successes in batches of up to 10: the fill ratios sum to 20 / 10.
    expect(
      await value(r, 'sluice_batch_fill_ratio_sum', { pipeline: 'orders', batcher: 'db' }),
    ).toBeCloseTo(2);
    const batches = await value(r, 'sluice_batch_duration_seconds_count', {
      pipeline: 'orders',
      batcher: 'db',
    });
    expect(batches).toBeGreaterThanOrEqual(2);
  });

  it('sums Kafka lag over partitions and keeps the last sample of a queue', async () => {
    exporter = prometheusExporter();
    const r = exporter.registry;
    const backlog = diagnostics.channel(pipelineChannels.backlog);
    const at = 0;
    backlog.publish({
      pipeline: 'k',
      broker: 'kafka',
      destination: 't',
      partition: 0,
      waiting: 5,
      at,
    });
    backlog.publish({
      pipeline: 'k',
      broker: 'kafka',
      destination: 't',
      partition: 1,
      waiting: 7,
      at,
    });
    backlog.publish({
      pipeline: 'k',
      broker: 'kafka',
      destination: 't',
      partition: 0,
      waiting: 1,
      at,
    });
    backlog.publish({
      pipeline: 'q',
      broker: 'sqs',
      destination: 'orders',
      waiting: 9,
      inFlight: 3,
      at,
    });
    backlog.publish({
      pipeline: 'q',
      broker: 'sqs',
      destination: 'orders',
      waiting: 4,
      inFlight: 2,
      at,
    });
    expect(
      await value(r, 'sluice_backlog', { pipeline: 'k', broker: 'kafka', destination: 't' }),
    ).toBe(8);
    expect(
      await value(r, 'sluice_backlog', { pipeline: 'q', broker: 'sqs', destination: 'orders' }),
    ).toBe(4);
    expect(
      await value(r, 'sluice_backlog_in_flight', {
        pipeline: 'q',
        broker: 'sqs',
        destination: 'orders',
      }),
    ).toBe(2);
  });

  it("counts the producers' retries and dead letters per broker and destination", async () => {
    exporter = prometheusExporter();
    const r = exporter.registry;
    const queueUrl = 'http://localhost:9324/000000000000/orders';
    diagnostics
      .channel(sqsChannels.visibility)
      .publish({ queueUrl, reason: 'retry', count: 3, failed: [], attempts: 1 });
    diagnostics
      .channel(sqsChannels.visibility)
      .publish({ queueUrl, reason: 'heartbeat', count: 9, failed: [], attempts: 1 });
    diagnostics
      .channel(sqsChannels.deadLetter)
      .publish({ queueUrl, deadLetterQueueUrl: 'x', count: 2, failed: [] });
    diagnostics
      .channel(rabbitmqChannels.retry)
      .publish({ pipeline: 'p', index: 0, queue: 'jobs', attempt: 1 });
    diagnostics
      .channel(rabbitmqChannels.deadLetter)
      .publish({ pipeline: 'p', index: 0, queue: 'jobs', exchange: 'dlx', count: 4 });
    // Published copies fell back to a reject: the broker dead-lettered them, not counted here.
    diagnostics.channel(rabbitmqChannels.deadLetter).publish({
      pipeline: 'p',
      index: 0,
      queue: 'jobs',
      exchange: 'dlx',
      count: 2,
      error: new Error('no exchange'),
    });
    diagnostics
      .channel(kafkaChannels.retry)
      .publish({ pipeline: 'p', topic: 'events', partition: 0 });
    diagnostics
      .channel(kafkaChannels.dlq)
      .publish({ pipeline: 'p', topic: 'events', partition: 0 });
    diagnostics
      .channel(kafkaChannels.dlq)
      .publish({ pipeline: 'p', topic: 'events', error: new Error('x') });
    expect(
      await value(r, 'sluice_messages_retried_total', { broker: 'sqs', destination: 'orders' }),
    ).toBe(3);
    expect(
      await value(r, 'sluice_messages_dead_lettered_total', {
        broker: 'sqs',
        destination: 'orders',
      }),
    ).toBe(2);
    expect(
      await value(r, 'sluice_messages_retried_total', { broker: 'rabbitmq', destination: 'jobs' }),
    ).toBe(1);
    expect(
      await value(r, 'sluice_messages_dead_lettered_total', {
        broker: 'rabbitmq',
        destination: 'jobs',
      }),
    ).toBe(4);
    expect(
      await value(r, 'sluice_messages_retried_total', { broker: 'kafka', destination: 'events' }),
    ).toBe(1);
    expect(
      await value(r, 'sluice_messages_dead_lettered_total', {
        broker: 'kafka',
        destination: 'events',
      }),
    ).toBe(1);
  });

  it("reads the producers' channels under their exported names", () => {
    expect(brokerChannels).toEqual({
      sqsVisibility: sqsChannels.visibility,
      sqsDeadLetter: sqsChannels.deadLetter,
      rabbitmqRetry: rabbitmqChannels.retry,
      rabbitmqDeadLetter: rabbitmqChannels.deadLetter,
      kafkaRetry: kafkaChannels.retry,
      kafkaDlq: kafkaChannels.dlq,
    });
  });

  it('leaves every channel without subscribers once closed', () => {
    const channel = diagnostics.channel(pipelineChannels.messageStop);
    expect(channel.hasSubscribers).toBe(false);
    const e = prometheusExporter({ registry: new Registry(), prefix: 'app_' });
    expect(channel.hasSubscribers).toBe(true);
    expect(e.registry.getSingleMetric('app_messages_received_total')).toBeDefined();
    e.close();
    expect(channel.hasSubscribers).toBe(false);
    expect(diagnostics.channel(pipelineChannels.backlog).hasSubscribers).toBe(false);
  });

  it('names the bad option', () => {
    expect(() => prometheusExporter({ prefix: '9x' })).toThrow(
      /prefix: expected a metric name prefix/,
    );
    expect(() => prometheusExporter({ durationBuckets: [1, 0.5] })).toThrow(
      /durationBuckets: expected buckets in increasing order/,
    );
    expect(() => prometheusExporter({ registry: {} as Registry })).toThrow(
      /registry: expected a prom-client Registry/,
    );
  });
});
