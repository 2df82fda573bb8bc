import { SpanKind } from '@opentelemetry/api';
import { createPipeline, silentLogger, type Pipeline } from '@sluice/core';
import { rabbitmqProducer } from '@sluice/producers/rabbitmq';
import { createTestQueue, type RabbitMqTestQueue } from '@sluice/producers/rabbitmq/testing';
import { describeWithBroker } from '@sluice/producers/testing/vitest';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { instrumentSluice, type SluiceInstrumentation } from '../src/index.ts';
import { producerTrace, testSdk, waitFor, type TestSdk } from './sdk.ts';

describeWithBroker('rabbitmq', 'traces of a RabbitMQ pipeline', () => {
  let queue: RabbitMqTestQueue;
  let pipeline: Pipeline | undefined;
  let instrumentation: SluiceInstrumentation | undefined;
  let sdk: TestSdk;

  beforeEach(async () => {
    queue = await createTestQueue({ deadLetter: true });
  });
  afterEach(async () => {
    await pipeline?.stop();
    pipeline = undefined;
    instrumentation?.disable();
    await sdk.shutdown();
    await queue.delete();
  });

  it('links process spans to the producer, batches them, and continues the trace through the retry queue', async () => {
    sdk = testSdk();
    instrumentation = instrumentSluice({
      tracerProvider: sdk.tracerProvider,
      meterProvider: sdk.meterProvider,
    });
    await queue.publish(3, { headers: () => ({ traceparent: producerTrace.traceparent }) });
    const batched: string[] = [];
    let failures = 0;
    pipeline = createPipeline({
      name: 'orders',
      logger: silentLogger,
      producer: {
        module: rabbitmqProducer({
          url: process.env['AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672',
          queue: queue.name,
          onFailure: 'retry',
          retry: { maxAttempts: 2, delay: { initial: 100 } },
        }),
      },
      processors: { default: {} },
      batchers: { db: { batchSize: 2, batchTimeout: 100 } },
      handleMessage: (_p, m) =>
        m.id === '1' && failures++ === 0 ? m.fail(new Error('flaky')) : m.putBatcher('db'),
      handleBatch: (_b, messages) => {
        batched.push(...messages.map((m) => String(m.id)));
        return messages;
      },
    });
    await pipeline.start();
    await waitFor(
      () => `three messages batched (${batched.join()})`,
      () => batched.length === 3,
    );
    await pipeline.stop();
    pipeline = undefined;

    const processed = sdk
      .spans()
      .filter(
        (s) => s.name === `process ${queue.name}` && s.attributes['sluice.processor'] === 'default',
      );
    expect(processed).toHaveLength(4);
    for (const span of processed) {
      expect(span.kind).toBe(SpanKind.CONSUMER);
      expect(span.parentSpanContext).toBeUndefined();
      expect(span.attributes).toMatchObject({
        'messaging.system': 'rabbitmq',
        'messaging.destination.name': queue.name,
        'messaging.operation.type': 'process',
        'messaging.rabbitmq.destination.routing_key': queue.name,
      });
    }
    const attempts = processed.filter((s) => s.attributes['messaging.message.id'] === '1');
    expect(attempts).toHaveLength(2);
    const [first, second] = attempts.sort(
      (a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1],
    );
    expect(first?.attributes['error.type']).toBe('Error');
    expect(first?.links.map((l) => l.context.spanId)).toEqual([producerTrace.spanId]);
    // The retry was republished with the failed attempt's context: the second attempt links to it.
    expect(second?.links.map((l) => [l.context.traceId, l.context.spanId])).toEqual([
      [first?.spanContext().traceId, first?.spanContext().spanId],
    ]);
    for (const span of processed.filter((s) => s.attributes['messaging.message.id'] !== '1')) {
      expect(span.links.map((l) => l.context.traceId)).toEqual([producerTrace.traceId]);
    }

    const batches = sdk.spans().filter((s) => s.attributes['sluice.batcher'] === 'db');
    expect(
      batches
        .map((s) => s.attributes['messaging.batch.message_count'])
        .reduce((a, b) => Number(a) + Number(b), 0),
    ).toBe(3);
    expect(batches.flatMap((s) => s.links)).toHaveLength(3);
  });

  it('leaves a message rejected to the dead-letter exchange with the context it was produced in', async () => {
    sdk = testSdk();
    instrumentation = instrumentSluice({
      tracerProvider: sdk.tracerProvider,
      meterProvider: sdk.meterProvider,
    });
    await queue.publish(1, { headers: () => ({ traceparent: producerTrace.traceparent }) });
    pipeline = createPipeline({
      name: 'orders',
      logger: silentLogger,
      producer: {
        module: rabbitmqProducer({
          url: process.env['AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672',
          queue: queue.name,
        }),
      },
      processors: { default: {} },
      handleMessage: (_p, m) => m.fail('rejected'),
    });
    await pipeline.start();
    let dead: Awaited<ReturnType<RabbitMqTestQueue['readDeadLettered']>> = [];
    await waitFor(
      'the dead letter',
      async () => (dead = await queue.readDeadLettered()).length === 1,
    );
    // The broker copies the headers: the producer's traceparent, which the process span links to.
    expect(dead[0]?.headers?.['traceparent']).toBe(producerTrace.traceparent);
    const span = sdk.spans().find((s) => s.name === `process ${queue.name}`);
    expect(span?.attributes['error.type']).toBe('_OTHER');
    expect(span?.links.map((l) => l.context.spanId)).toEqual([producerTrace.spanId]);
  });
});
