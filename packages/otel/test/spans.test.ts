import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import diagnostics from 'node:diagnostics_channel';
import { createPipeline, pipelineChannels, silentLogger, type Pipeline } from '@sluice/core';
import { testBatch, testMessage, testProducer } from '@sluice/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { instrumentSluice, type SluiceInstrumentation } from '../src/index.ts';
import { points, producerTrace, testSdk, type TestSdk } from './sdk.ts';

let pipeline: Pipeline | undefined;
let instrumentation: SluiceInstrumentation | undefined;
let sdk: TestSdk;

afterEach(async () => {
  await pipeline?.stop();
  instrumentation?.disable();
  await sdk?.shutdown();
});

function start(options: { batch?: boolean; sampled?: boolean } = {}): Pipeline {
  sdk = testSdk({ sampled: options.sampled ?? true });
  instrumentation = instrumentSluice({
    tracerProvider: sdk.tracerProvider,
    meterProvider: sdk.meterProvider,
    pipelines: { orders: { system: 'kafka', destination: 'orders', consumerGroup: 'billing' } },
  });
  pipeline = createPipeline({
    name: 'orders',
    producer: { module: testProducer<string>() },
    logger: silentLogger,
    processors: { default: {} },
    ...(options.batch === true && { batchers: { db: { batchSize: 3, batchTimeout: 50 } } }),
    handleMessage(_p, message) {
      if (message.data === 'bad') return message.fail('no good');
      if (message.data === 'throw') throw new TypeError('boom');
      return options.batch === true ? message.putBatcher('db') : message;
    },
    handleBatch: (_b, messages) => messages,
  });
  return pipeline;
}

const headers = { headers: { traceparent: producerTrace.traceparent } };

describe('process spans', () => {
  it('gives each message a root CONSUMER span named after its destination, linked to the context it was created in', async () => {
    await start().start();
    const { successful } = await testMessage(pipeline as Pipeline, 'ok', { metadata: headers });
    expect(successful).toHaveLength(1);

    const spans = sdk.spans().filter((s) => s.name === 'process orders');
    expect(spans).toHaveLength(1);
    const span = spans[0]!;
    expect(span.kind).toBe(SpanKind.CONSUMER);
    expect(span.parentSpanContext).toBeUndefined();
    expect(span.spanContext().traceId).not.toBe(producerTrace.traceId);
    expect(span.links.map((l) => [l.context.traceId, l.context.spanId])).toEqual([
      [producerTrace.traceId, producerTrace.spanId],
    ]);
    expect(span.attributes).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.destination.name': 'orders',
      'messaging.consumer.group.name': 'billing',
      'messaging.operation.type': 'process',
      'sluice.pipeline': 'orders',
      'sluice.processor': 'default',
    });
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('marks failed and crashed messages with error.type and an error status', async () => {
    await start().start();
    const { failed } = await testBatch(pipeline as Pipeline, ['bad', 'throw', 'ok']);
    expect(failed).toHaveLength(2);

    const spans = sdk.spans().filter((s) => s.name === 'process orders');
    expect(spans).toHaveLength(3);
    const types = spans.map((s) => s.attributes['error.type']).sort();
    expect(types).toEqual(['TypeError', '_OTHER', undefined]);
    const thrown = spans.find((s) => s.attributes['error.type'] === 'TypeError')!;
    expect(thrown.status.code).toBe(SpanStatusCode.ERROR);
    expect(thrown.events.map((e) => e.name)).toEqual(['exception']);
  });

  it('adds no link when the message carries no context', async () => {
    await start().start();
    await testMessage(pipeline as Pipeline, 'ok');
    expect(sdk.spans().find((s) => s.name === 'process orders')?.links).toEqual([]);
  });
});

describe('batch and settle spans', () => {
  it('gives a batch a span with its message count and one link per message, and acks an ack span', async () => {
    await start({ batch: true }).start();
    await testBatch(pipeline as Pipeline, ['a', 'b', 'c'], { metadata: headers });

    const batch = sdk
      .spans()
      .find(
        (s) =>
          s.attributes['messaging.batch.message_count'] === 3 &&
          s.attributes['sluice.batcher'] === 'db',
      );
    expect(batch?.name).toBe('process orders');
    expect(batch?.kind).toBe(SpanKind.CONSUMER);
    expect(batch?.links).toHaveLength(3);
    expect(batch?.links.every((l) => l.context.traceId === producerTrace.traceId)).toBe(true);

    const ack = sdk.spans().find((s) => s.name === 'ack orders');
    expect(ack?.kind).toBe(SpanKind.CLIENT);
    expect(ack?.attributes).toMatchObject({
      'messaging.operation.type': 'settle',
      'messaging.operation.name': 'ack',
      'messaging.batch.message_count': 3,
    });
    const processIds = sdk
      .spans()
      .filter((s) => s.name === 'process orders' && s.attributes['sluice.processor'] === 'default')
      .map((s) => s.spanContext().spanId)
      .sort();
    expect(ack?.links.map((l) => l.context.spanId).sort()).toEqual(processIds);
  });

  it('nacks failed messages in a nack span', async () => {
    await start().start();
    await testMessage(pipeline as Pipeline, 'bad');
    expect(sdk.spans().find((s) => s.name === 'nack orders')?.attributes).toMatchObject({
      'messaging.operation.name': 'nack',
      'messaging.batch.message_count': 1,
    });
  });
});

describe('metrics', () => {
  it('counts consumed messages and records processing durations, with error.type on failures', async () => {
    await start().start();
    await testBatch(pipeline as Pipeline, ['ok', 'ok', 'bad']);

    const consumed = points(await sdk.metric('messaging.client.consumed.messages'));
    expect(consumed.map((p) => [p.attributes, p.value])).toEqual([
      [
        {
          'messaging.system': 'kafka',
          'messaging.operation.type': 'process',
          'messaging.operation.name': 'process',
          'messaging.destination.name': 'orders',
          'messaging.consumer.group.name': 'billing',
        },
        3,
      ],
    ]);
    const durations = points(await sdk.metric('messaging.process.duration'));
    const count = (type: string | undefined) =>
      durations
        .filter((p) => p.attributes['error.type'] === type)
        .map((p) => (p.value as { count: number }).count);
    expect([count(undefined), count('_OTHER')]).toEqual([[2], [1]]);
    expect((await sdk.metric('messaging.process.duration'))?.descriptor.unit).toBe('s');
  });
});

describe('sampled out', () => {
  it('records no span and still counts the messages', async () => {
    await start({ sampled: false, batch: true }).start();
    await testBatch(pipeline as Pipeline, ['a', 'b', 'c'], { metadata: headers });
    expect(sdk.spans()).toEqual([]);
    const consumed = points(await sdk.metric('messaging.client.consumed.messages'));
    expect(consumed[0]?.value).toBe(3);
  });
});

describe('options', () => {
  it('refuses a bad option, naming it and the value given', () => {
    expect(() => instrumentSluice({ traces: 'yes' as unknown as boolean })).toThrow(
      /traces: expected boolean.*got 'yes'/,
    );
  });
});

describe('disable', () => {
  it('leaves no subscriber on any channel, so the pipeline pays nothing again', () => {
    sdk = testSdk();
    const names = [
      ...Object.values(pipelineChannels),
      'sluice:producer:outgoing',
      'sluice:kafka:fetch',
      'sluice:kafka:commit',
      'sluice:sqs:receive:stop',
    ];
    instrumentation = instrumentSluice({ tracerProvider: sdk.tracerProvider });
    expect(names.some((n) => diagnostics.channel(n).hasSubscribers)).toBe(true);
    instrumentation.disable();
    expect(names.filter((n) => diagnostics.channel(n).hasSubscribers)).toEqual([]);
  });

  it('stops listening', async () => {
    start();
    instrumentation?.disable();
    await pipeline?.start();
    await testMessage(pipeline as Pipeline, 'ok', { metadata: headers });
    expect(sdk.spans()).toEqual([]);
  });
});
