import { isBrokerError } from '@sluice/producers';
import { describe, expect, it } from 'vitest';
import {
  brokerTarget,
  brokersRequired,
  decideBrokerTests,
  probeBroker,
  waitForBroker,
  type ProbeResult,
} from '../../src/testing/availability.ts';

const refused: ProbeResult = {
  ok: false,
  refused: true,
  reason: 'connect ECONNREFUSED 127.0.0.1:9092',
};

describe('brokerTarget', () => {
  it('finds each broker at its loopback default', () => {
    expect(brokerTarget('sqs', {})).toMatchObject({
      label: 'SQS',
      address: 'http://127.0.0.1:9324',
      endpoints: [{ host: '127.0.0.1', port: 9324 }],
      service: 'elasticmq',
    });
    expect(brokerTarget('kafka', {})).toMatchObject({
      label: 'Kafka',
      address: '127.0.0.1:9092',
      endpoints: [{ host: '127.0.0.1', port: 9092 }],
      service: 'kafka',
    });
    expect(brokerTarget('rabbitmq', {})).toMatchObject({
      label: 'RabbitMQ',
      address: 'amqp://guest:[redacted]@127.0.0.1:5672',
      endpoints: [{ host: '127.0.0.1', port: 5672 }],
      service: 'rabbitmq',
    });
  });

  it('follows KAFKA_BROKERS, SQS_ENDPOINT and AMQP_URL', () => {
    const env = {
      KAFKA_BROKERS: 'k1:19092,[::1]:29092',
      SQS_ENDPOINT: 'https://sqs.example',
      AMQP_URL: 'amqps://u:p@rabbit',
    };
    expect(brokerTarget('kafka', env).endpoints).toEqual([
      { host: 'k1', port: 19092 },
      { host: '::1', port: 29092 },
    ]);
    expect(brokerTarget('sqs', env).endpoints).toEqual([{ host: 'sqs.example', port: 443 }]);
    expect(brokerTarget('rabbitmq', env).endpoints).toEqual([{ host: 'rabbit', port: 5671 }]);
  });
});

describe('decideBrokerTests', () => {
  it('runs the tests when the broker answers', () => {
    expect(decideBrokerTests('kafka', { ok: true }, { env: {} })).toEqual({ action: 'run' });
  });

  it('skips with one line naming the broker, its address and how to start it', () => {
    expect(decideBrokerTests('kafka', refused, { env: {} })).toEqual({
      action: 'skip',
      message:
        '[sluice] skipping Kafka tests: no broker at 127.0.0.1:9092 — start one with `npm run brokers:up` or `docker compose up -d kafka`',
    });
    expect(decideBrokerTests('sqs', refused, { env: {} })).toMatchObject({
      message:
        '[sluice] skipping SQS tests: no broker at http://127.0.0.1:9324 — start one with `npm run brokers:up` or `docker compose up -d elasticmq`',
    });
  });

  it('fails instead of skipping when SLUICE_REQUIRE_BROKERS=1', () => {
    expect(
      decideBrokerTests('rabbitmq', refused, { env: { SLUICE_REQUIRE_BROKERS: '1' } }),
    ).toEqual({
      action: 'fail',
      message:
        '[sluice] RabbitMQ tests need a broker (SLUICE_REQUIRE_BROKERS=1), but there is no broker at amqp://guest:[redacted]@127.0.0.1:5672 — start one with `npm run brokers:up` or `docker compose up -d rabbitmq`',
    });
  });

  it('says the broker is not ready when the port is open but the request fails', () => {
    const decision = decideBrokerTests(
      'kafka',
      { ok: false, refused: false, reason: 'no answer within 3000 ms' },
      { env: {} },
    );
    expect(decision).toMatchObject({
      action: 'skip',
      message: expect.stringContaining(
        'the broker at 127.0.0.1:9092 is not ready (no answer within 3000 ms)',
      ) as unknown,
    });
  });

  it('ends the line with the hint given', () => {
    const decision = decideBrokerTests('sqs', refused, { env: {}, hint: 'run `make sqs`' });
    expect(decision).toMatchObject({
      message: '[sluice] skipping SQS tests: no broker at http://127.0.0.1:9324 — run `make sqs`',
    });
  });
});

describe('brokersRequired', () => {
  it('is true for SLUICE_REQUIRE_BROKERS=1 or true only', () => {
    expect(brokersRequired({ SLUICE_REQUIRE_BROKERS: '1' })).toBe(true);
    expect(brokersRequired({ SLUICE_REQUIRE_BROKERS: 'true' })).toBe(true);
    expect(brokersRequired({ SLUICE_REQUIRE_BROKERS: '0' })).toBe(false);
    expect(brokersRequired({})).toBe(false);
  });
});

describe('probeBroker', () => {
  it('reports a refused TCP connection without loading a client library', async () => {
    const probe = await probeBroker('kafka', { env: { KAFKA_BROKERS: '127.0.0.1:1' } });
    expect(probe).toEqual({ ok: false, refused: true, reason: 'connect ECONNREFUSED 127.0.0.1:1' });
  });
});

describe('waitForBroker', () => {
  it('rejects with ERR_BROKER_UNREACHABLE naming the broker once the wait is over', async () => {
    const waiting = waitForBroker('sqs', {
      env: { SQS_ENDPOINT: 'http://127.0.0.1:1' },
      waitMs: 200,
      intervalMs: 50,
    });
    const error: unknown = await waiting.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isBrokerError(error, 'ERR_BROKER_UNREACHABLE')).toBe(true);
    expect((error as Error).message).toBe(
      'SQS at http://127.0.0.1:1 did not answer within 200 ms: connect ECONNREFUSED 127.0.0.1:1',
    );
  });
});
