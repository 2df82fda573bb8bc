import { InvalidOptionsError } from '@sluice/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { natsProducer } from '../../src/nats/index.ts';
import { resolveNatsOptions } from '../../src/nats/options.ts';

const base = { servers: 'nats://127.0.0.1:4222', stream: 'ORDERS', consumer: 'billing' };

function error(options: unknown): InvalidOptionsError {
  try {
    natsProducer(options as never);
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidOptionsError);
    return e as InvalidOptionsError;
  }
  throw new Error('expected natsProducer to throw');
}

describe('natsProducer options', () => {
  afterEach(() => vi.unstubAllEnvs());

  it.each<[string, unknown, string]>([
    ['a missing stream', { ...base, stream: undefined }, 'stream: expected a name, got undefined'],
    [
      'a stream name with a dot',
      { ...base, stream: 'orders.eu' },
      "stream: expected a name without spaces, `.`, `*` or `>`, got 'orders.eu'",
    ],
    ['a missing consumer', { ...base, consumer: undefined }, 'consumer: expected a name'],
    [
      'a server that is no URL',
      { ...base, servers: 'nats server' },
      "servers: expected a NATS server URL (nats://host:port or host:port) or a list of them, got 'nats server'",
    ],
    [
      'an empty server list',
      { ...base, servers: [] },
      'servers: expected at least one server, got []',
    ],
    [
      'a bad server in a list',
      { ...base, servers: ['nats://a:4222', 'b c'] },
      "servers[1]: expected a NATS server URL (nats://host:port) or host:port, got 'b c'",
    ],
    [
      'maxAttempts 0',
      { ...base, maxAttempts: 0 },
      'maxAttempts: expected a positive integer, got 0',
    ],
    [
      'a backoff whose max is below initial',
      { ...base, retryBackoff: { initial: 5000, max: 100 } },
      'retryBackoff.max: expected max ≥ initial',
    ],
    [
      'a backoff in the old seconds shape',
      { ...base, retryBackoff: { baseSeconds: 1 } },
      'retryBackoff.baseSeconds: unknown option, got 1',
    ],
    [
      'an unknown decode',
      { ...base, decode: 'utf8' },
      "decode: expected one of 'bytes', 'string', 'json', got 'utf8'",
    ],
    ['ackWait under a second', { ...base, ackWait: 10 }, 'ackWait: expected at least 1000 ms'],
    [
      'filterSubject without createConsumer',
      { ...base, filterSubject: 'orders.>' },
      'filterSubject: filterSubject applies only with createConsumer: true',
    ],
    ['an unknown option', { ...base, queueUrl: 'x' }, 'queueUrl'],
  ])('rejects %s with a clear error', (_name, options, message) => {
    expect(error(options).message).toContain(message);
  });

  it('requires servers when NATS_URL is not set, naming both', () => {
    vi.stubEnv('NATS_URL', '');
    expect(error({ stream: 'ORDERS', consumer: 'billing' }).message).toContain(
      'servers: required: give servers (a NATS server URL or a list) or set the NATS_URL environment variable',
    );
  });

  it('takes servers from NATS_URL (comma-separated) when not given', () => {
    vi.stubEnv('NATS_URL', 'nats://a:4222, nats://b:4222');
    expect(resolveNatsOptions({ stream: 'ORDERS', consumer: 'billing' }).servers).toEqual([
      'nats://a:4222',
      'nats://b:4222',
    ]);
  });

  it('fills in every default', () => {
    expect(resolveNatsOptions(base)).toEqual({
      servers: ['nats://127.0.0.1:4222'],
      stream: 'ORDERS',
      consumer: 'billing',
      createConsumer: false,
      ackWait: 30_000,
      maxMessages: 256,
      maxConcurrentFetches: 4,
      fetchExpires: 5000,
      decode: 'bytes',
      partitionBy: 'none',
      maxAttempts: 5,
      retryBackoff: { initial: 1000, max: 60_000 },
      heartbeat: true,
      confirmAcks: false,
      reconnectBackoff: { initial: 250, max: 10_000 },
      connectionName: 'sluice',
      requestTimeout: 10_000,
    });
  });

  it('names every bad option at once', () => {
    const message = error({ ...base, maxMessages: 0, decode: 1 }).message;
    expect(message).toContain('maxMessages');
    expect(message).toContain('decode');
  });
});
