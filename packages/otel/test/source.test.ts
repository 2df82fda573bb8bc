import { Message, noopAcknowledger } from '@sluice/core';
import { outgoingChannel } from '@sluice/producers';
import { describe, expect, it } from 'vitest';
import { OUTGOING_CHANNEL, traceparentFromXray } from '../src/index.ts';
import { sourceOf } from '../src/source.ts';
import { extractCreation } from '../src/traces.ts';
import { producerTrace } from './sdk.ts';

const message = (metadata: Record<string, unknown>) =>
  new Message({ data: '', acknowledger: noopAcknowledger, metadata });

describe('traceparentFromXray', () => {
  it('turns an X-Ray trace header into a W3C traceparent', () => {
    expect(
      traceparentFromXray(
        'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
      ),
    ).toBe('00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01');
    expect(
      traceparentFromXray('Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8'),
    ).toBe('00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-00');
  });

  it('gives nothing for a header without a valid root or parent', () => {
    expect(traceparentFromXray('Root=1-xyz;Parent=53995c3f42cd8ad8')).toBeUndefined();
    expect(traceparentFromXray('Root=1-5759e988-bd862e3fe1be46a994272793')).toBeUndefined();
    expect(traceparentFromXray('')).toBeUndefined();
  });
});

describe('sourceOf', () => {
  it('reads a Kafka record: topic, partition, and the traceparent header from its Buffer', () => {
    const source = sourceOf(
      message({
        topic: 'orders',
        partition: 2,
        offset: '7',
        headers: { traceparent: Buffer.from(producerTrace.traceparent) },
      }),
      undefined,
    );
    expect(source).toMatchObject({ system: 'kafka', destination: 'orders', partition: '2' });
    expect(extractCreation(source.carrier)?.spanId).toBe(producerTrace.spanId);
  });

  it('names a RabbitMQ destination exchange:routingKey, or the routing key on the default exchange', () => {
    const on = (exchange: string) =>
      sourceOf(message({ deliveryTag: 1, routingKey: 'jobs', exchange, headers: {} }), undefined);
    expect(on('').destination).toBe('jobs');
    expect(on('work').destination).toBe('work:jobs');
    expect(on('').carrier).toBeUndefined();
  });

  it('reads an SQS AWSTraceHeader when there is no traceparent attribute', () => {
    const source = sourceOf(
      message({
        receiptHandle: 'r',
        md5OfBody: 'm',
        messageAttributes: {},
        attributes: {
          AWSTraceHeader:
            'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
        },
      }),
      undefined,
    );
    expect(source.system).toBe('aws_sqs');
    expect(extractCreation(source.carrier)).toMatchObject({
      traceId: '5759e988bd862e3fe1be46a994272793',
      spanId: '53995c3f42cd8ad8',
    });
  });

  it('lets the options name the system, destination and group', () => {
    expect(sourceOf(message({}), { system: 'ibmmq', destination: 'Q1' })).toMatchObject({
      system: 'ibmmq',
      destination: 'Q1',
    });
  });
});

it('listens on the channel the producers publish outgoing copies on', () => {
  expect(OUTGOING_CHANNEL).toBe(outgoingChannel);
});
