/**
 * Type tests: each broker producer declares its data, metadata and ack
 * options, so handlers need no casts. `npm run typecheck` compiles this
 * file (each `@ts-expect-error` fails it if a type grows too loose); the
 * producers are only created, never started, so no broker is needed.
 */
import { createPipeline, definePipeline, type Message } from '@sluice/core';
import { testProducer } from '@sluice/testing';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import {
  kafkaProducer,
  kafkaSource,
  type KafkaMessageMetadata,
  type KafkaProducerModule,
} from '../../src/kafka/index.ts';
import {
  rabbitmqProducer,
  rabbitmqSource,
  type RabbitMqAckOptions,
  type RabbitMqMetadata,
} from '../../src/rabbitmq/index.ts';
import {
  sqsProducer,
  sqsSource,
  type SqsAckOptions,
  type SqsMetadata,
} from '../../src/sqs/index.ts';

const queueUrl = 'http://127.0.0.1:9324/000000000000/types';

describe('broker producer types', () => {
  it('SQS: data is the string body, metadata and configureAck are typed', () => {
    definePipeline({
      name: 'sqs-types',
      producer: { module: sqsProducer({ queueUrl }) },
      processors: { default: {} },
      handleMessage(_p, message) {
        expectTypeOf(message.data).toEqualTypeOf<string>();
        expectTypeOf(message.metadata.messageId).toEqualTypeOf<string>();
        expectTypeOf(message.metadata).toEqualTypeOf<SqsMetadata>();
        message.configureAck({ onFailure: 'retry' });
        // @ts-expect-error: not an SQS onFailure
        message.configureAck({ onFailure: 'requeue' });
        // @ts-expect-error: not an SQS ack option
        message.configureAck({ requeue: true });
        return message;
      },
      handleFailed(messages) {
        for (const m of messages) m.configureAck({ onFailure: 'delete' });
        return messages;
      },
    });
    expectTypeOf<
      Parameters<Message<string, SqsMetadata, SqsAckOptions>['configureAck']>[0]
    >().toEqualTypeOf<Readonly<SqsAckOptions>>();
  });

  it('Kafka: data is the value (Buffer, or null for a tombstone); no ack options', () => {
    const module = kafkaProducer({ brokers: ['127.0.0.1:9092'], groupId: 'g', topics: ['t'] });
    expectTypeOf(module).toEqualTypeOf<KafkaProducerModule>();
    definePipeline({
      name: 'kafka-types',
      producer: { module },
      processors: { default: {} },
      handleMessage(_p, message) {
        expectTypeOf(message.data).toEqualTypeOf<Buffer | null>();
        expectTypeOf(message.metadata).toEqualTypeOf<KafkaMessageMetadata>();
        expectTypeOf(message.metadata.offset).toEqualTypeOf<string>();
        // @ts-expect-error: Kafka messages take no ack options
        message.configureAck({ onFailure: 'retry' });
        return message;
      },
    });
  });

  it('RabbitMQ: data is the Buffer body; metadata and configureAck are typed', () => {
    definePipeline({
      name: 'rabbitmq-types',
      producer: { module: rabbitmqProducer({ url: 'amqp://127.0.0.1:5672', queue: 'q' }) },
      processors: { default: {} },
      handleMessage(_p, message) {
        expectTypeOf(message.data).toEqualTypeOf<Buffer>();
        expectTypeOf(message.metadata).toEqualTypeOf<RabbitMqMetadata>();
        expectTypeOf(message.metadata.deliveryTag).toEqualTypeOf<number>();
        message.configureAck({ onFailure: 'requeueOnce' });
        // @ts-expect-error: 'retry' is an onFailure policy only
        message.configureAck({ onSuccess: 'retry' });
        return message;
      },
    });
    expectTypeOf<RabbitMqAckOptions['onFailure']>().toEqualTypeOf<
      'ack' | 'reject' | 'requeue' | 'requeueOnce' | 'retry' | undefined
    >();
  });

  it('a zod schema’s output type reaches the handler, metadata kept', () => {
    const Order = z
      .string()
      .transform((body) => JSON.parse(body) as unknown)
      .pipe(z.object({ id: z.string(), total: z.number() }));
    const definition = definePipeline({
      name: 'sqs-schema',
      producer: { module: sqsProducer({ queueUrl }) },
      schema: Order,
      processors: { default: {} },
      batchers: { db: {} },
      handleMessage(_p, message) {
        expectTypeOf(message.data).toEqualTypeOf<{ id: string; total: number }>();
        expectTypeOf(message.metadata.messageId).toEqualTypeOf<string>();
        return message.putBatcher('db');
      },
      handleBatch(_b, messages) {
        expectTypeOf(messages.map((m) => m.data.total)).toEqualTypeOf<number[]>();
        return messages;
      },
    });
    expect(createPipeline(definition).name).toBe('sqs-schema');
  });

  it('a shared definition runs against a typed testProducer', () => {
    const orders = definePipeline({
      name: 'orders',
      producer: { module: rabbitmqSource({ url: 'amqp://127.0.0.1:5672', queue: 'orders' }) },
      processors: { default: {} },
      handleMessage: (_p, message) => {
        expectTypeOf(message.data).toEqualTypeOf<Buffer>();
        return message;
      },
    });
    const pipeline = createPipeline({
      ...orders,
      producer: { module: testProducer<Buffer, RabbitMqMetadata, RabbitMqAckOptions>() },
    });
    expect(pipeline.name).toBe('orders');
  });

  it('the source aliases are the producers', () => {
    expect(sqsSource).toBe(sqsProducer);
    expect(kafkaSource).toBe(kafkaProducer);
    expect(rabbitmqSource).toBe(rabbitmqProducer);
  });
});
