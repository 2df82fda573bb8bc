import { InvalidOptionsError } from '@sluice/core';
import { describe, expect, it } from 'vitest';
import { sqsProducer } from '../../src/sqs/index.ts';
import { resolveSqsOptions } from '../../src/sqs/options.ts';

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
    expect(resolveSqsOptions({ queueUrl })).toMatchObject({
      waitTimeSeconds: 20,
      maxNumberOfMessages: 10,
      maxConcurrentReceives: 10,
      receiveInterval: 1000,
      visibilityTimeout: undefined,
      messageSystemAttributeNames: ['All'],
      messageAttributeNames: ['All'],
      onSuccess: 'delete',
      onFailure: 'noop',
      retryBackoff: { baseSeconds: 1, maxSeconds: 900 },
      extendVisibility: true,
    });
  });

  it('always asks for ApproximateReceiveCount, which retry backoff needs', () => {
    expect(
      resolveSqsOptions({ queueUrl, messageSystemAttributeNames: ['MessageGroupId'] })
        .messageSystemAttributeNames,
    ).toEqual(['MessageGroupId', 'ApproximateReceiveCount']);
  });
});
