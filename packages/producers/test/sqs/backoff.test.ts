import { SQSServiceException } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { BrokerError } from '../../src/errors.ts';
import {
  backoffMs,
  isTransientEntry,
  isTransientError,
  retryVisibilityTimeout,
} from '../../src/sqs/backoff.ts';

const awsError = (name: string, status: number, fault: 'client' | 'server') =>
  new BrokerError('ERR_BROKER_REQUEST', 'sqs', name, {
    cause: new SQSServiceException({
      name,
      $fault: fault,
      $metadata: { httpStatusCode: status },
    }),
  });

describe('retryVisibilityTimeout', () => {
  it.each([
    [1, 1, 900, 1],
    [2, 1, 900, 2],
    [3, 1, 900, 4],
    [5, 2, 900, 32],
    [11, 1, 900, 900],
    [100, 1, 43_200, 43_200],
    [0, 3, 900, 3],
  ])('receive %i with base %i s, max %i s: %i s', (count, base, max, expected) => {
    expect(retryVisibilityTimeout(count, base, max)).toBe(expected);
  });
});

describe('backoffMs', () => {
  it.each([
    [1, 0, 50],
    [1, 0.999, 100],
    [3, 0, 200],
    [3, 0.5, 300],
    [20, 0, 2500],
  ])('attempt %i with random %f: %i ms (base 100, max 5000)', (attempt, random, expected) => {
    expect(Math.round(backoffMs(attempt, 100, 5000, () => random))).toBe(expected);
  });
});

describe('isTransientError', () => {
  it.each<[string, unknown, boolean]>([
    ['unreachable broker', new BrokerError('ERR_BROKER_UNREACHABLE', 'sqs', 'x'), true],
    ['missing queue', new BrokerError('ERR_QUEUE_NOT_FOUND', 'sqs', 'x'), false],
    ['throttling', awsError('ThrottlingException', 400, 'client'), true],
    ['RequestThrottled', awsError('RequestThrottled', 403, 'client'), true],
    ['a 500', awsError('InternalError', 500, 'server'), true],
    ['a 503 of any name', awsError('Whatever', 503, 'server'), true],
    ['bad credentials', awsError('InvalidClientTokenId', 403, 'client'), false],
    ['a bad request', awsError('InvalidParameterValue', 400, 'client'), false],
    ['a plain error', new Error('boom'), false],
  ])('%s: %s', (_name, error, expected) => {
    expect(isTransientError(error)).toBe(expected);
  });
});

describe('isTransientEntry', () => {
  it.each([
    ['ReceiptHandleIsInvalid', true, false],
    ['InternalError', false, true],
    ['RequestThrottled', true, true],
  ])('%s (senderFault %s): %s', (code, senderFault, expected) => {
    expect(isTransientEntry({ id: '0', code, message: '', senderFault })).toBe(expected);
  });
});
