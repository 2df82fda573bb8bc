import { SpanKind } from '@opentelemetry/api';
import { createPipeline, silentLogger, type Pipeline } from '@sluice/core';
import { AwsSqsClient, sqsProducer } from '@sluice/producers/sqs';
import {
  createTestQueue,
  sqsClientConfigFromEnv,
  type SqsTestQueue,
} from '@sluice/producers/sqs/testing';
import { describeWithBroker } from '@sluice/producers/testing/vitest';
import { afterEach, expect, it } from 'vitest';
import { instrumentSluice, type SluiceInstrumentation } from '../src/index.ts';
import { parseTraceparent, points, producerTrace, testSdk, waitFor, type TestSdk } from './sdk.ts';

describeWithBroker('sqs', 'traces of an SQS pipeline', () => {
  const queues: SqsTestQueue[] = [];
  let client: AwsSqsClient | undefined;
  let pipeline: Pipeline | undefined;
  let instrumentation: SluiceInstrumentation | undefined;
  let sdk: TestSdk;

  afterEach(async () => {
    await pipeline?.stop();
    pipeline = undefined;
    instrumentation?.disable();
    await sdk.shutdown();
    await Promise.all(queues.splice(0).map((q) => q.delete()));
    client?.close();
  });

  it('links process spans to the traceparent message attribute, batches them, and dead-letters with the context', async () => {
    sdk = testSdk();
    instrumentation = instrumentSluice({
      tracerProvider: sdk.tracerProvider,
      meterProvider: sdk.meterProvider,
    });
    client = new AwsSqsClient(sqsClientConfigFromEnv());
    const [queue, dlq] = await Promise.all([
      createTestQueue({ client }),
      createTestQueue({ client }),
    ]);
    queues.push(queue, dlq);
    const q = queue;
    const sent = await q.publish(3, {
      messageAttributes: () => ({
        traceparent: { dataType: 'String', stringValue: producerTrace.traceparent },
      }),
    });
    const badId = sent[1]?.messageId;
    const batched: string[] = [];
    pipeline = createPipeline({
      name: 'orders',
      logger: silentLogger,
      producer: {
        module: sqsProducer({
          queueUrl: q.url,
          client,
          waitTimeSeconds: 1,
          receiveInterval: 0,
          onFailure: 'deadLetter',
          deadLetterQueueUrl: dlq.url,
        }),
      },
      processors: { default: {} },
      batchers: { db: { batchSize: 2, batchTimeout: 100 } },
      handleMessage: (_p, m) =>
        m.id === badId ? m.fail(new SyntaxError('bad json')) : m.putBatcher('db'),
      handleBatch: (_b, messages) => {
        batched.push(...messages.map((m) => String(m.id)));
        return messages;
      },
    });
    await pipeline.start();
    await waitFor('two messages batched', () => batched.length === 2);
    let dead: Awaited<ReturnType<SqsTestQueue['drain']>> = [];
    await waitFor(
      'the dead letter',
      async () => (dead = [...dead, ...(await dlq.drain())]).length === 1,
    );
    await pipeline.stop();
    pipeline = undefined;

    const spans = sdk.spans();
    const processed = spans.filter(
      (s) => s.name === `process ${q.name}` && s.attributes['sluice.processor'] === 'default',
    );
    expect(processed).toHaveLength(3);
    for (const span of processed) {
      expect(span.kind).toBe(SpanKind.CONSUMER);
      expect(span.parentSpanContext).toBeUndefined();
      expect(span.links.map((l) => [l.context.traceId, l.context.spanId])).toEqual([
        [producerTrace.traceId, producerTrace.spanId],
      ]);
      expect(span.attributes).toMatchObject({
        'messaging.system': 'aws_sqs',
        'messaging.destination.name': q.name,
        'messaging.operation.type': 'process',
      });
    }
    const failed = processed.find((s) => s.attributes['messaging.message.id'] === badId);
    expect(failed?.attributes['error.type']).toBe('SyntaxError');

    const batch = spans.find((s) => s.attributes['sluice.batcher'] === 'db');
    expect(batch?.attributes['messaging.batch.message_count']).toBe(2);
    expect(batch?.links).toHaveLength(2);

    expect(dead).toHaveLength(1);
    expect(parseTraceparent(dead[0]?.messageAttributes['traceparent']?.stringValue)).toEqual({
      traceId: failed?.spanContext().traceId,
      spanId: failed?.spanContext().spanId,
    });
    expect(dead[0]?.messageAttributes['sluice-failure-reason']?.stringValue).toBe(
      'SyntaxError: bad json',
    );

    // The receive calls are measured, with the queue as destination.
    const receives = points(await sdk.metric('messaging.client.operation.duration'));
    expect(receives[0]?.attributes).toMatchObject({
      'messaging.system': 'aws_sqs',
      'messaging.destination.name': q.name,
      'messaging.operation.type': 'receive',
    });
  });
});
