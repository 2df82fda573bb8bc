/**
 * kafkajs is an optional peer dependency: importing the Kafka producer does
 * not load it, and making a client without it installed throws
 * ERR_MISSING_LIBRARY naming the install command; so does creating the
 * producer without a client of its own. "Not installed" is
 * simulated where Node looks packages up, so loadLibrary sees exactly what
 * it would see in an app without kafkajs.
 */
import { createRequire } from 'node:module';
import Module from 'node:module';
import { SluiceError } from '@sluice/core';
import { afterEach, describe, expect, it } from 'vitest';
import type { KafkaClient } from '../../src/kafka/client.ts';

const require = createRequire(import.meta.url);
const kafkajsLoaded = () =>
  Object.keys(require.cache).some((file) => /[\\/]node_modules[\\/]kafkajs[\\/]/.test(file));

type Resolve = (request: string, ...rest: unknown[]) => string;
const resolver = Module as unknown as { _resolveFilename: Resolve };
const resolve = resolver._resolveFilename;

afterEach(() => {
  resolver._resolveFilename = resolve;
});

describe('kafkajs, loaded at first use', () => {
  it('is not loaded by importing @sluice/producers/kafka', async () => {
    await import('../../src/kafka/index.ts');
    expect(kafkajsLoaded()).toBe(false);
  });

  it('is reported as ERR_MISSING_LIBRARY, with the install command, when it is not installed', async () => {
    resolver._resolveFilename = function (this: unknown, request, ...rest) {
      if (request === 'kafkajs') {
        throw Object.assign(new Error("Cannot find module 'kafkajs'"), {
          code: 'MODULE_NOT_FOUND',
        });
      }
      return resolve.call(this, request, ...rest);
    };
    const { KafkaJsClient, kafkaProducer } = await import('../../src/kafka/index.ts');
    let thrown: unknown;
    try {
      new KafkaJsClient({ brokers: ['kafka-1:9092'] });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(SluiceError);
    expect(thrown).toMatchObject({
      code: 'ERR_MISSING_LIBRARY',
      message: expect.stringContaining('run `npm install kafkajs@2.2.4`') as unknown,
    });
    // The producer's factory says so at once, not when the pipeline starts...
    expect(() =>
      kafkaProducer({ client: 'kafkajs', brokers: ['kafka-1:9092'], groupId: 'g', topics: ['t'] }),
    ).toThrow(expect.objectContaining({ code: 'ERR_MISSING_LIBRARY' }));
    // ...unless it is given a client of its own, which needs no kafkajs.
    const client = { admin: () => undefined } as unknown as KafkaClient;
    expect(() => kafkaProducer({ client, groupId: 'g', topics: ['t'] })).not.toThrow();
  });

  it('is loaded once a client is made', async () => {
    const { KafkaJsClient } = await import('../../src/kafka/index.ts');
    new KafkaJsClient({ brokers: ['kafka-1:9092'] });
    expect(kafkajsLoaded()).toBe(true);
  });
});

describe('@platformatic/kafka, loaded at first use', () => {
  const loaded = () =>
    Object.keys(require.cache).some((file) =>
      /[\\/]node_modules[\\/]@platformatic[\\/]kafka[\\/]/.test(file),
    );

  it('is not loaded by importing @sluice/producers/kafka', async () => {
    await import('../../src/kafka/index.ts');
    expect(loaded()).toBe(false);
  });

  it('is reported as ERR_MISSING_LIBRARY, with the install command, by kafkaProducer with the default client', async () => {
    resolver._resolveFilename = function (this: unknown, request, ...rest) {
      if (request === '@platformatic/kafka') {
        throw Object.assign(new Error("Cannot find module '@platformatic/kafka'"), {
          code: 'MODULE_NOT_FOUND',
        });
      }
      return resolve.call(this, request, ...rest);
    };
    const { PlatformaticClient, kafkaProducer } = await import('../../src/kafka/index.ts');
    const expected: unknown = expect.objectContaining({
      code: 'ERR_MISSING_LIBRARY',
      message: expect.stringContaining('run `npm install @platformatic/kafka@^1.35.0`') as unknown,
    });
    expect(() => new PlatformaticClient({ brokers: ['kafka-1:9092'] })).toThrow(expected);
    expect(() =>
      kafkaProducer({
        client: 'platformatic',
        brokers: ['kafka-1:9092'],
        groupId: 'g',
        topics: ['t'],
      }),
    ).toThrow(expected);
    expect(() => kafkaProducer({ brokers: ['kafka-1:9092'], groupId: 'g', topics: ['t'] })).toThrow(
      expected,
    );
  });
});
