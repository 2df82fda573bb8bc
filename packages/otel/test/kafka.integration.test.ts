import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { createPipeline, silentLogger, type Pipeline } from '@sluice/core';
import { kafkaProducer } from '@sluice/producers/kafka';
import {
  createTestTopic,
  kafkaTestBrokers,
  type KafkaTestTopic,
} from '@sluice/producers/kafka/testing';
import { describeWithBroker } from '@sluice/producers/testing/vitest';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { instrumentSluice, type SluiceInstrumentation } from '../src/index.ts';
import { parseTraceparent, points, producerTrace, testSdk, waitFor, type TestSdk } from './sdk.ts';

describeWithBroker('kafka', 'traces of a Kafka pipeline', () => {
  let topic: KafkaTestTopic;
  let dlq: KafkaTestTopic;
  let pipeline: Pipeline | undefined;
  let instrumentation: SluiceInstrumentation | undefined;
  let sdk: TestSdk;

  beforeEach(async () => {
    [topic, dlq] = await Promise.all([
      createTestTopic({ partitions: 1 }),
      createTestTopic({ partitions: 1 }),
    ]);
  });
  afterEach(async () => {
    await pipeline?.stop();
    pipeline = undefined;
    instrumentation?.disable();
    await sdk.shutdown();
    await Promise.all([topic.delete(), dlq.delete()]);
  });

  it('links each process span to the traceparent it was produced with, batches them, and carries the context on to the dead-letter topic', async () => {
    sdk = testSdk();
    instrumentation = instrumentSluice({
      tracerProvider: sdk.tracerProvider,
      meterProvider: sdk.meterProvider,
    });
    await topic.publish(3, { headers: () => ({ traceparent: producerTrace.traceparent }) });
    const batched: string[] = [];
    const groupId = `${topic.name}-g`;
    pipeline = createPipeline({
      name: 'orders',
      logger: silentLogger,
      producer: {
        module: kafkaProducer({
          brokers: kafkaTestBrokers(),
          groupId,
          topics: [topic.name],
          fromBeginning: true,
          sessionTimeout: 6000,
          heartbeatInterval: 500,
          rebalanceTimeout: 6000,
          commitInterval: 200,
          fetch: { maxWaitTimeInMs: 100 },
          onFailure: 'dlq',
          dlq: { topic: dlq.name },
          retry: { maxAttempts: 1 },
        }),
      },
      processors: { default: {} },
      batchers: { db: { batchSize: 2, batchTimeout: 100 } },
      handleMessage: (_p, m) =>
        String(m.data) === 'message-1' ? m.fail(new RangeError('bad order')) : m.putBatcher('db'),
      handleBatch: (_b, messages) => {
        batched.push(...messages.map((m) => String(m.data)));
        return messages;
      },
    });
    await pipeline.start();
    await waitFor('two messages batched', () => batched.length === 2);
    const dead = await (async () => {
      let records: Awaited<ReturnType<KafkaTestTopic['read']>> = [];
      await waitFor('the dead letter', async () => (records = await dlq.read()).length === 1);
      return records;
    })();
    await pipeline.stop();
    pipeline = undefined;

    const spans = sdk.spans();
    const processed = spans.filter(
      (s) => s.name === `process ${topic.name}` && s.attributes['sluice.processor'] === 'default',
    );
    expect(processed).toHaveLength(3);
    for (const span of processed) {
      expect(span.kind).toBe(SpanKind.CONSUMER);
      expect(span.parentSpanContext).toBeUndefined();
      expect(span.links.map((l) => l.context.traceId)).toEqual([producerTrace.traceId]);
      expect(span.links[0]?.context.spanId).toBe(producerTrace.spanId);
      expect(span.attributes).toMatchObject({
        'messaging.system': 'kafka',
        'messaging.destination.name': topic.name,
        'messaging.consumer.group.name': groupId,
        'messaging.operation.type': 'process',
        'messaging.destination.partition.id': '0',
        'sluice.pipeline': 'orders',
      });
    }
    const failed = processed.find(
      (s) => s.attributes['messaging.message.id'] === `${topic.name}/0/1`,
    );
    expect(failed?.attributes['error.type']).toBe('RangeError');
    expect(failed?.attributes['messaging.kafka.offset']).toBe(1);
    expect(failed?.status.code).toBe(SpanStatusCode.ERROR);

    const batch = spans.find((s) => s.attributes['sluice.batcher'] === 'db');
    expect(batch?.name).toBe(`process ${topic.name}`);
    expect(batch?.attributes['messaging.batch.message_count']).toBe(2);
    expect(batch?.links.map((l) => l.context.traceId)).toEqual([
      producerTrace.traceId,
      producerTrace.traceId,
    ]);

    // The dead letter carries the failed attempt's process span as its creation context.
    expect(parseTraceparent(dead[0]?.headers?.['traceparent'])).toEqual({
      traceId: failed?.spanContext().traceId,
      spanId: failed?.spanContext().spanId,
    });
    expect(dead[0]?.headers).toMatchObject({ 'sluice-failure-reason': 'RangeError: bad order' });

    // Offset commits are timed as settle operations of the group.
    const operations = points(await sdk.metric('messaging.client.operation.duration'));
    expect(operations.map((p) => p.attributes)).toContainEqual({
      'messaging.system': 'kafka',
      'messaging.consumer.group.name': groupId,
      'messaging.operation.type': 'settle',
      'messaging.operation.name': 'commit',
      'messaging.destination.name': topic.name,
    });
    const consumed = points(await sdk.metric('messaging.client.consumed.messages'));
    expect(consumed.map((p) => [p.attributes['messaging.consumer.group.name'], p.value])).toEqual([
      [groupId, 3],
    ]);
  });
});
