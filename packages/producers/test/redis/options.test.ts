import { InvalidOptionsError } from '@sluice/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { redisProducer } from '../../src/redis/index.ts';
import { resolveRedisOptions } from '../../src/redis/options.ts';

const url = 'redis://127.0.0.1:6379';
const base = { url, stream: 'orders', group: 'billing' };

function error(options: unknown): InvalidOptionsError {
  try {
    redisProducer(options as never);
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidOptionsError);
    return e as InvalidOptionsError;
  }
  throw new Error('expected redisProducer to throw');
}

describe('redisProducer options', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it.each<[string, unknown, string]>([
    ['a missing stream', { url, group: 'g' }, 'stream: expected a stream key, got undefined'],
    [
      'an empty group',
      { url, stream: 's', group: '' },
      "group: expected a non-empty consumer group name, got ''",
    ],
    [
      'an http URL',
      { ...base, url: 'http://127.0.0.1:6379' },
      "url: expected a redis:// or rediss:// URL: give `url` or set REDIS_URL, got 'http://127.0.0.1:6379'",
    ],
    ['count 0', { ...base, count: 0 }, 'count: expected an integer from 1 to 10000, got 0'],
    [
      'maxAttempts 0',
      { ...base, maxAttempts: 0 },
      'maxAttempts: expected an integer from 1 to 1000, got 0',
    ],
    [
      'a negative retry delay',
      { ...base, retryBackoff: { initial: -1 } },
      'retryBackoff.initial: expected a non-negative number of ms, got -1',
    ],
    [
      'an unknown retryBackoff key',
      { ...base, retryBackoff: { min: 1 } },
      'retryBackoff.min: unknown option',
    ],
    ['a zero claimIdle', { ...base, claimIdle: 0 }, 'claimIdle:'],
    ['an unknown option', { ...base, queue: 'x' }, 'queue: unknown option'],
  ])('rejects %s, naming the option and the value', (_name, options, message) => {
    expect(error(options).message).toContain(message);
  });

  it('without url and REDIS_URL, says to give one or the other', () => {
    vi.stubEnv('REDIS_URL', '');
    expect(error({ stream: 's', group: 'g' }).message).toContain(
      'url: required: give `url` or set the REDIS_URL environment variable',
    );
  });

  it('takes url from REDIS_URL when not given, and hides its password in errors', () => {
    vi.stubEnv('REDIS_URL', 'redis://:s3cret@10.0.0.1:6380/2');
    expect(resolveRedisOptions({ stream: 's', group: 'g' }).url).toBe(
      'redis://:s3cret@10.0.0.1:6380/2',
    );
    vi.stubEnv('REDIS_URL', 'http://user:s3cret@10.0.0.1');
    const message = error({ stream: 's', group: 'g' }).message;
    expect(message).toContain('REDIS_URL: expected a redis:// or rediss:// URL');
    expect(message).not.toContain('s3cret');
  });

  it('fills in the defaults', () => {
    expect(resolveRedisOptions(base)).toEqual({
      ...base,
      createGroup: true,
      groupStartId: '0',
      count: 100,
      block: 5000,
      maxAttempts: 5,
      retryBackoff: { initial: 1000, max: 60_000 },
      claimIdle: 60_000,
      claimInterval: 10_000,
      ackWindowMs: 5,
      ackBatchSize: 500,
      reconnectBackoff: { initial: 100, max: 5000 },
      requestTimeout: 10_000,
    });
  });
});
