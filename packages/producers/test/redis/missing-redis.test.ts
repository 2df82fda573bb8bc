/**
 * node-redis (`redis`) is an optional peer dependency: importing the Redis producer
 * never loads it, and the producer says how to install it. Node's module
 * resolution is made to refuse node-redis (`redis`), as it does when the package is not
 * installed. This file imports nothing that loads node-redis (`redis`) first.
 */
import { createRequire } from 'node:module';
import type { SluiceError } from '@sluice/core';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';

type ResolveFilename = (request: string, ...rest: unknown[]) => string;
const Module = createRequire(import.meta.url)('node:module') as {
  _resolveFilename: ResolveFilename;
};
const resolve = Module._resolveFilename;

beforeEach(() => {
  Module._resolveFilename = function (this: unknown, request, ...rest) {
    if (request === 'redis') {
      throw Object.assign(new Error("Cannot find module 'redis'"), { code: 'MODULE_NOT_FOUND' });
    }
    return resolve.call(this, request, ...rest);
  };
  vi.resetModules();
});
afterEach(() => {
  Module._resolveFilename = resolve;
});

it('imports the Redis producer without node-redis (`redis`), and redisProducer() names the install command', async () => {
  const { SluiceError } = await import('@sluice/core');
  const { redisProducer, NodeRedisClient } = await import('../../src/redis/index.ts');
  for (const run of [
    () => redisProducer({ url: 'redis://127.0.0.1:6379', stream: 's', group: 'g' }),
    () => new NodeRedisClient('redis://127.0.0.1:6379'),
  ]) {
    let error: SluiceError | undefined;
    try {
      run();
    } catch (e) {
      error = e as SluiceError;
    }
    expect(error).toBeInstanceOf(SluiceError);
    expect(error?.code).toBe('ERR_MISSING_LIBRARY');
    expect(error?.message).toBe(
      'the redis producer needs the redis package, which is not installed: run `npm install redis@^6.4.0`',
    );
  }
});
