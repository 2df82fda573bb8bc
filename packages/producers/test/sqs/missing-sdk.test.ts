/**
 * The AWS SDK is an optional peer dependency: importing the SQS producer
 * never loads it, and a producer or client that needs it says how to
 * install it. Node's module resolution is made to refuse the SDK, as it
 * does when the package is not installed. This file imports nothing that
 * loads the SDK, so its process has not resolved it before.
 */
import { createRequire } from 'node:module';
import type { SluiceError } from '@sluice/core';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import type { SqsClient } from '../../src/sqs/client.ts';

const SDK = '@aws-sdk/client-sqs';
const queueUrl = 'http://127.0.0.1:9324/000000000000/orders';
const install = 'run `npm install @aws-sdk/client-sqs@^3.1169.0`';

type ResolveFilename = (request: string, ...rest: unknown[]) => string;
const Module = createRequire(import.meta.url)('node:module') as {
  _resolveFilename: ResolveFilename;
};
const resolve = Module._resolveFilename;

beforeEach(() => {
  Module._resolveFilename = function (this: unknown, request, ...rest) {
    if (request === SDK) {
      throw Object.assign(new Error(`Cannot find module '${SDK}'`), { code: 'MODULE_NOT_FOUND' });
    }
    return resolve.call(this, request, ...rest);
  };
  vi.resetModules();
});
afterEach(() => {
  Module._resolveFilename = resolve;
});

/** What `run` throws: a SluiceError of the core loaded after `vi.resetModules()`. */
async function thrown(run: () => unknown): Promise<SluiceError> {
  const { SluiceError } = await import('@sluice/core');
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(SluiceError);
    return error as SluiceError;
  }
  throw new Error('expected a throw');
}

it('imports the SQS producer without the AWS SDK, and refuses to build a client without it', async () => {
  const { AwsSqsClient, sqsProducer } = await import('../../src/sqs/index.ts');
  for (const run of [
    () => new AwsSqsClient(),
    () => new AwsSqsClient({ region: 'eu-west-1' }),
    () => sqsProducer({ queueUrl }),
    () => sqsProducer({ queueUrl, client: { region: 'eu-west-1' } }),
  ]) {
    const error = await thrown(run);
    expect(error.code).toBe('ERR_MISSING_LIBRARY');
    expect(error.message).toBe(
      `the SQS producer needs the ${SDK} package, which is not installed: ${install}`,
    );
  }
});

it('needs no AWS SDK with an SqsClient of its own', async () => {
  const { sqsProducer } = await import('../../src/sqs/index.ts');
  const client = {
    receiveMessages: () => Promise.resolve([]),
  } as unknown as SqsClient;
  expect(() => sqsProducer({ queueUrl, client })).not.toThrow();
});
