import { InvalidOptionsError } from '@sluice/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { sqsProducer } from '../../src/sqs/index.ts';
import { resolveSqsOptions, sqsOptionsSchema } from '../../src/sqs/options.ts';

const queueUrl = 'http://127.0.0.1:9324/000000000000/orders';

function error(options: unknown): InvalidOptionsError {
  try {
    sqsProducer(options as never);
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidOptionsError);
    return e as InvalidOptionsError;
  }
  throw new Error('expected sqsProducer to throw');
}

describe('sqsProducer options', () => {
  it.each<[string, unknown, string]>([
    [
      'waitTimeSeconds above 20',
      { queueUrl, waitTimeSeconds: 25 },
      'invalid sqs producer options: waitTimeSeconds: expected an integer from 0 to 20, got 25',
    ],
    [
      'maxNumberOfMessages above 10',
      { queueUrl, maxNumberOfMessages: 11 },
      'maxNumberOfMessages: expected an integer from 1 to 10, got 11',
    ],
    ['a missing queueUrl', {}, 'queueUrl: expected a queue URL, got undefined'],
    [
      'a queue name instead of a URL',
      { queueUrl: 'orders' },
      "queueUrl: expected a queue URL (http:// or https://), got 'orders'",
    ],
    [
      'an unknown onFailure',
      { queueUrl, onFailure: 'requeue' },
      "onFailure: expected one of 'noop', 'retry', 'delete', 'deadLetter', got 'requeue'",
    ],
    [
      "'deadLetter' without a queue",
      { queueUrl, onFailure: 'deadLetter' },
      "onFailure: 'deadLetter' needs deadLetterQueueUrl, got 'deadLetter'",
    ],
    ['an unknown option', { queueUrl, batchSize: 10 }, 'batchSize: unknown option, got 10'],
    [
      'a negative receiveInterval',
      { queueUrl, receiveInterval: -1 },
      'receiveInterval: expected a non-negative number of ms, got -1',
    ],
  ])('rejects %s, naming the option and the value', (_name, options, message) => {
    expect(error(options).message).toContain(message);
  });

  it('fills in the defaults', () => {
    const resolved = resolveSqsOptions({ queueUrl });
    expect(resolved.visibilityTimeout).toBeUndefined();
    expect(resolved).toMatchObject({
      waitTimeSeconds: 20,
      maxNumberOfMessages: 10,
      maxConcurrentReceives: 10,
      receiveInterval: 1000,
      messageSystemAttributeNames: ['All'],
      messageAttributeNames: ['All'],
      onSuccess: 'delete',
      onFailure: 'noop',
      retryBackoff: { initial: 1000, max: 900_000 },
      extendVisibility: true,
      ackWindowMs: 5,
      ackAttempts: 5,
      requestTimeout: 10_000,
    });
  });

  it('always asks for ApproximateReceiveCount, which retry backoff needs', () => {
    expect(
      resolveSqsOptions({ queueUrl, messageSystemAttributeNames: ['MessageGroupId'] })
        .messageSystemAttributeNames,
    ).toEqual(['MessageGroupId', 'ApproximateReceiveCount']);
  });
});

describe('retryBackoff', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('takes initial and max in ms, each defaulted on its own', () => {
    expect(resolveSqsOptions({ queueUrl, retryBackoff: { initial: 250 } }).retryBackoff).toEqual({
      initial: 250,
      max: 900_000,
    });
    expect(resolveSqsOptions({ queueUrl, retryBackoff: { max: 60_000 } }).retryBackoff).toEqual({
      initial: 1000,
      max: 60_000,
    });
  });

  it('still takes the deprecated baseSeconds and maxSeconds, in ms, with a coded warning', () => {
    const emitted = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    expect(
      resolveSqsOptions({ queueUrl, retryBackoff: { baseSeconds: 2, maxSeconds: 60 } })
        .retryBackoff,
    ).toEqual({ initial: 2000, max: 60_000 });
    expect(resolveSqsOptions({ queueUrl, retryBackoff: { baseSeconds: 0 } }).retryBackoff).toEqual({
      initial: 0,
      max: 900_000,
    });
    expect(emitted).toHaveBeenCalledWith(
      expect.stringContaining(
        'retryBackoff.baseSeconds and retryBackoff.maxSeconds are deprecated',
      ),
      { type: 'DeprecationWarning', code: 'SLUICE_DEP_SQS_RETRY_BACKOFF_SECONDS' },
    );
  });

  it('refuses a key given under both its names, naming both', () => {
    expect(() =>
      resolveSqsOptions({ queueUrl, retryBackoff: { initial: 1000, baseSeconds: 1 } }),
    ).toThrow(
      'retryBackoff.baseSeconds: give initial or the deprecated baseSeconds, not both, got 1',
    );
    const error = (() => {
      try {
        resolveSqsOptions({ queueUrl, retryBackoff: { max: 1000, maxSeconds: 1 } });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect((error as InvalidOptionsError).message).toContain(
      'retryBackoff.maxSeconds: give max or the deprecated maxSeconds, not both',
    );
  });
});

describe('the options schema', () => {
  it('describes every option in its JSON Schema, and marks the renamed ones deprecated', () => {
    const schema = z.toJSONSchema(sqsOptionsSchema, { io: 'input', unrepresentable: 'any' });
    const missing: string[] = [];
    const walk = (node: unknown, path: string): void => {
      const { properties } = node as { properties?: Record<string, Record<string, unknown>> };
      for (const [key, property] of Object.entries(properties ?? {})) {
        if (typeof property['description'] !== 'string') missing.push(`${path}${key}`);
        walk(property, `${path}${key}.`);
      }
    };
    walk(schema, '');
    expect(missing).toEqual([]);
    const backoff = (
      schema as { properties: Record<string, { properties: Record<string, unknown> }> }
    ).properties['retryBackoff']?.properties;
    expect(backoff?.['baseSeconds']).toMatchObject({ deprecated: true });
    expect(backoff?.['maxSeconds']).toMatchObject({ deprecated: true });
    expect(backoff?.['initial']).toMatchObject({ default: 1000 });
  });
});
