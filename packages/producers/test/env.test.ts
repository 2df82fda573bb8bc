import { describe, expect, it } from 'vitest';
import { redactUrl } from '@sluice/core';
import { brokerEnv } from '../src/testing/env.ts';

describe('brokerEnv', () => {
  it('gives the loopback defaults when no variable is set', () => {
    expect(brokerEnv({})).toEqual({
      sqsEndpoint: 'http://127.0.0.1:9324',
      kafkaBrokers: ['127.0.0.1:9092'],
      amqpUrl: 'amqp://guest:guest@127.0.0.1:5672',
      natsUrl: 'nats://127.0.0.1:4222',
    });
  });

  it('reads SQS_ENDPOINT, KAFKA_BROKERS, AMQP_URL and NATS_URL', () => {
    const env = brokerEnv({
      SQS_ENDPOINT: 'http://sqs.local:4566',
      KAFKA_BROKERS: 'k1:9092, k2:9092,,',
      AMQP_URL: 'amqps://u:p@rabbit:5671/vhost',
      NATS_URL: 'nats://u:p@nats.local:4222',
    });
    expect(env).toEqual({
      sqsEndpoint: 'http://sqs.local:4566',
      kafkaBrokers: ['k1:9092', 'k2:9092'],
      amqpUrl: 'amqps://u:p@rabbit:5671/vhost',
      natsUrl: 'nats://u:p@nats.local:4222',
    });
  });

  it('treats a blank variable as unset', () => {
    expect(
      brokerEnv({ SQS_ENDPOINT: ' ', KAFKA_BROKERS: ' , ', AMQP_URL: '', NATS_URL: ' ' }),
    ).toEqual(brokerEnv({}));
  });
});

describe('redactUrl', () => {
  it('hides the password and keeps the rest', () => {
    expect(redactUrl('amqp://guest:guest@127.0.0.1:5672')).toBe(
      'amqp://guest:[redacted]@127.0.0.1:5672',
    );
    expect(redactUrl('amqps://u:s3cret@host/vhost')).toBe('amqps://u:[redacted]@host/vhost');
  });

  it('hides a password with an unencoded / or @, which new URL() cannot parse or misreads', () => {
    expect(redactUrl('amqp://u:p/w0rd@host:5672')).toBe('amqp://u:[redacted]@host:5672');
    expect(redactUrl('amqp://u:p@ss/w0rd@host')).toBe('amqp://u:[redacted]@host');
  });

  it('leaves URLs without a password, and non-URLs, unchanged', () => {
    expect(redactUrl('http://127.0.0.1:9324')).toBe('http://127.0.0.1:9324');
    expect(redactUrl('127.0.0.1:9092')).toBe('127.0.0.1:9092');
  });
});
