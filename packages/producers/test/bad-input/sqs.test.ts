/** Issue 15's bad-input suite: every option of sqsProducer, refused at once. */
import { describe, it } from 'vitest';
import { sqsProducer } from '../../src/sqs/index.ts';
import { expectRefused, rowsFor, type ProducerRow } from './support.ts';

const row = rowsFor({ queueUrl: 'http://127.0.0.1:9324/000000000000/orders' });
const range = (min: number, max: number) => `expected an integer from ${min} to ${max}`;
const MS = 'expected a non-negative number of ms';

const rows: ProducerRow[] = [
  row({ queueUrl: undefined }, 'queueUrl', 'undefined', 'expected a queue URL'),
  row({ queueUrl: 'orders' }, 'queueUrl', "'orders'", 'expected a queue URL (http:// or https://)'),
  row({ queueUrl: 'arn:aws:sqs:eu-west-1:1:orders' }, 'queueUrl', "'arn:aws:sqs", 'http://'),
  row({ queueUrl: '' }, 'queueUrl', "''", 'expected a queue URL'),
  row({ queueUrl: 42 }, 'queueUrl', '42', 'expected a queue URL'),
  row(
    { client: 'http://127.0.0.1:9324' },
    'client',
    "'http://127.0.0.1:9324'",
    'expected an SQSClient, its config, or an SqsClient',
  ),
  row({ waitTimeSeconds: 30 }, 'waitTimeSeconds', '30', range(0, 20)),
  row({ waitTimeSeconds: -1 }, 'waitTimeSeconds', '-1', range(0, 20)),
  row({ waitTimeSeconds: 2.5 }, 'waitTimeSeconds', '2.5', range(0, 20)),
  row({ waitTimeSeconds: '20' }, 'waitTimeSeconds', "'20'", range(0, 20)),
  row({ maxNumberOfMessages: 0 }, 'maxNumberOfMessages', '0', range(1, 10)),
  row({ maxNumberOfMessages: 11 }, 'maxNumberOfMessages', '11', range(1, 10)),
  row({ maxConcurrentReceives: 0 }, 'maxConcurrentReceives', '0', range(1, 100)),
  row({ maxConcurrentReceives: 500 }, 'maxConcurrentReceives', '500', range(1, 100)),
  row({ receiveInterval: -1 }, 'receiveInterval', '-1', MS),
  row({ receiveInterval: Infinity }, 'receiveInterval', 'Infinity', MS),
  row({ receiveInterval: '1s' }, 'receiveInterval', "'1s'", MS),
  row({ visibilityTimeout: 43_201 }, 'visibilityTimeout', '43201', range(0, 43_200)),
  row({ visibilityTimeout: -5 }, 'visibilityTimeout', '-5', range(0, 43_200)),
  row(
    { messageSystemAttributeNames: 'All' },
    'messageSystemAttributeNames',
    "'All'",
    'expected an array of names',
  ),
  row(
    { messageSystemAttributeNames: [''] },
    'messageSystemAttributeNames[0]',
    "''",
    'expected a non-empty name',
  ),
  row(
    { messageAttributeNames: 'All' },
    'messageAttributeNames',
    "'All'",
    'expected an array of names',
  ),
  row({ onSuccess: 'ack' }, 'onSuccess', "'ack'", "expected one of 'delete', 'noop'"),
  row({ onFailure: 'dlq' }, 'onFailure', "'dlq'", "'noop', 'retry', 'delete', 'deadLetter'"),
  row(
    { onFailure: 'deadLetter' },
    'onFailure',
    "'deadLetter'",
    "'deadLetter' needs deadLetterQueueUrl",
  ),
  row(
    { onFailure: 'deadLetter', deadLetterQueueUrl: 'orders-dlq' },
    'deadLetterQueueUrl',
    "'orders-dlq'",
    'expected a queue URL',
  ),
  row({ retryBackoff: 5 }, 'retryBackoff', '5', 'expected object'),
  row({ retryBackoff: { initial: -1 } }, 'retryBackoff.initial', '-1', MS),
  row(
    { retryBackoff: { max: 86_400_000 } },
    'retryBackoff.max',
    '86400000',
    'expected at most 43200000 ms (12 h',
  ),
  row({ retryBackoff: { initial: '1s' } }, 'retryBackoff.initial', "'1s'", MS),
  row({ retryBackoff: { max: Infinity } }, 'retryBackoff.max', 'Infinity', MS),
  row(
    { retryBackoff: { initial: 1000, baseSeconds: 1 } },
    'retryBackoff.baseSeconds',
    '1',
    'give initial or the deprecated baseSeconds, not both',
  ),
  row({ retryBackoff: { baseSeconds: -1 } }, 'retryBackoff.baseSeconds', '-1', range(0, 43_200)),
  row(
    { retryBackoff: { maxSeconds: 86_400 } },
    'retryBackoff.maxSeconds',
    '86400',
    range(0, 43_200),
  ),
  row({ retryBackoff: { base: 1 } }, 'retryBackoff.base', '1', 'unknown option'),
  row({ extendVisibility: 'yes' }, 'extendVisibility', "'yes'", 'expected a boolean'),
  row({ ackWindowMs: -5 }, 'ackWindowMs', '-5', MS),
  row({ ackAttempts: 0 }, 'ackAttempts', '0', range(1, 20)),
  row({ ackAttempts: 100 }, 'ackAttempts', '100', range(1, 20)),
  row({ queueURL: 'http://x/q' }, 'queueURL', "'http://x/q'", 'unknown option'),
  row({ region: 'eu-west-1' }, 'region', "'eu-west-1'", 'unknown option'),
];

describe('sqsProducer refuses a bad option at once, naming it', () => {
  it.each(rows.map((r) => [`${r.path} = ${r.got}`, r] as const))('%s', (_name, r) => {
    expectRefused(sqsProducer, r);
  });
});

const leaking: ProducerRow[] = [
  row(
    { queueUrl: 'sqs://admin:Sqs-Secret-42@127.0.0.1:9324/q' },
    'queueUrl',
    "'sqs://admin:",
    'expected a queue URL',
    'Sqs-Secret-42',
  ),
  row(
    { deadLetterQueueUrl: 'ftp://admin:Dlq-Secret-42@host/dlq' },
    'deadLetterQueueUrl',
    "'ftp://admin:",
    'expected a queue URL',
    'Dlq-Secret-42',
  ),
];
describe('sqsProducer never shows a secret in a bad option', () => {
  it.each(leaking.map((r) => [r.path, r] as const))('%s', (_name, r) => {
    expectRefused(sqsProducer, r);
  });
});
