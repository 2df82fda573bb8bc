import { SQSServiceException } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { BrokerError } from '../../src/errors.ts';
import { isTransientEntry, isTransientError } from '../../src/sqs/transient.ts';
import { retryVisibilityTimeout } from '../../src/sqs/visibility.ts';

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
    [1, 1000, 900_000, 1],
    [2, 1000, 900_000, 2],
    [3, 1000, 900_000, 4],
    [5, 2000, 900_000, 32],
    [11, 1000, 900_000, 900],
    [100, 1000, 43_200_000, 43_200],
    [0, 3000, 900_000, 3],
    [1, 0, 900_000, 0],
    [1, 1500, 900_000, 2],
    [3, 100, 900_000, 1],
    [4, 1000, 2500, 3],
  ])('receive %i with initial %i ms, max %i ms: %i s', (count, initial, max, expected) => {
    expect(retryVisibilityTimeout(count, { initial, max })).toBe(expected);
  });

  it('never exceeds 12 h, whatever max says', () => {
    expect(retryVisibilityTimeout(40, { initial: 1000, max: Number.MAX_SAFE_INTEGER })).toBe(
      43_200,
    );
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
