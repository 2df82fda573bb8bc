/** Issue 15's bad-input suite: every option of rabbitmqProducer, refused at once. */
import { describe, it } from 'vitest';
import { rabbitmqProducer } from '../../src/rabbitmq/index.ts';
import { expectRefused, rowsFor, type ProducerRow } from './support.ts';

const row = rowsFor({ queue: 'orders', url: 'amqp://127.0.0.1' });
const MS = 'expected a positive number of ms';
const NAME = 'expected a non-empty string';
const URL = 'expected an amqp:// or amqps:// URL';
const BOOL = 'expected a boolean';

const rows: ProducerRow[] = [
  row({ queue: undefined }, 'queue', 'undefined', NAME),
  row({ queue: '' }, 'queue', "''", NAME),
  row({ queue: ['orders'] }, 'queue', "[ 'orders' ]", NAME),
  row({ url: 'localhost:5672' }, 'url', "'localhost:5672'", URL),
  row({ url: 'http://127.0.0.1:15672' }, 'url', "'http://127.0.0.1:15672'", URL),
  row({ url: 5672 }, 'url', '5672', URL),
  row(
    { connection: { heartbeat: -1 } },
    'connection.heartbeat',
    '-1',
    'non-negative integer (seconds)',
  ),
  row({ connection: { heartbeat: 2.5 } }, 'connection.heartbeat', '2.5', '(seconds)'),
  row({ connection: { timeout: 0 } }, 'connection.timeout', '0', MS),
  row({ connection: { timeout: '10s' } }, 'connection.timeout', "'10s'", MS),
  row({ connection: { name: '' } }, 'connection.name', "''", NAME),
  row(
    { connection: { socketOptions: 'tls' } },
    'connection.socketOptions',
    "'tls'",
    'expected an object',
  ),
  row({ connection: { retries: 3 } }, 'connection.retries', '3', 'unknown option'),
  row({ client: {} }, 'client', '{}', 'expected a RabbitMqClient'),
  row({ prefetch: 0 }, 'prefetch', '0', 'expected an integer from 1 to 65535'),
  row({ prefetch: 70_000 }, 'prefetch', '70000', 'from 1 to 65535'),
  row({ prefetch: '100' }, 'prefetch', "'100'", 'from 1 to 65535'),
  row({ declare: true }, 'declare', 'true', 'expected object'),
  row({ declare: { durable: 'yes' } }, 'declare.durable', "'yes'", BOOL),
  row({ declare: { exclusive: 1 } }, 'declare.exclusive', '1', BOOL),
  row({ declare: { autoDelete: 'no' } }, 'declare.autoDelete', "'no'", BOOL),
  row({ declare: { arguments: [] } }, 'declare.arguments', '[]', 'expected an object'),
  row({ declare: { type: 'quorum' } }, 'declare.type', "'quorum'", 'unknown option'),
  row(
    { bindings: { exchange: 'orders' } },
    'bindings',
    "{ exchange: 'orders' }",
    'expected an array of { exchange, routingKey }',
  ),
  row(
    { bindings: [{ routingKey: '#' }] },
    'bindings[0].exchange',
    'undefined',
    'expected a string',
  ),
  row(
    { bindings: [{ exchange: 'x', routingKey: 5 }] },
    'bindings[0].routingKey',
    '5',
    'expected a string',
  ),
  row({ bindings: [{ exchange: 'x', key: '#' }] }, 'bindings[0].key', "'#'", 'unknown option'),
  row({ afterConnect: 'declare' }, 'afterConnect', "'declare'", 'expected a function'),
  row({ consumeOptions: { noAck: 'true' } }, 'consumeOptions.noAck', "'true'", BOOL),
  row({ consumeOptions: { consumerTag: '' } }, 'consumeOptions.consumerTag', "''", NAME),
  row({ consumeOptions: { exclusive: 'x' } }, 'consumeOptions.exclusive', "'x'", BOOL),
  row({ consumeOptions: { priority: 10 } }, 'consumeOptions.priority', '10', 'unknown option'),
  row({ metadata: 'messageId' }, 'metadata', "'messageId'", 'expected an array'),
  row({ metadata: ['messageID'] }, 'metadata[0]', "'messageID'", "'messageId'"),
  row(
    { onSuccess: 'delete' },
    'onSuccess',
    "'delete'",
    "'ack', 'reject', 'requeue', 'requeueOnce'",
  ),
  row({ onFailure: 'nack' }, 'onFailure', "'nack'", "'requeueOnce', 'retry'"),
  row(
    { onFailure: 'retry' },
    'retry',
    'undefined',
    "expected retry settings (e.g. { maxAttempts: 3 }) with onFailure: 'retry'",
  ),
  row({ retry: { maxAttempts: 0 } }, 'retry.maxAttempts', '0', 'expected a positive integer'),
  row({ retry: { delay: 1000 } }, 'retry.delay', '1000', 'expected { initial, max }'),
  row(
    { retry: { delay: { initial: 5000, max: 1000 } } },
    'retry.delay.max',
    '1000',
    'expected at least initial (5000)',
  ),
  row(
    { retry: { queue: 'orders' } },
    'retry.queue',
    "'orders'",
    'expected a queue other than the one consumed',
  ),
  row({ retry: { attempts: 3 } }, 'retry.attempts', '3', 'unknown option'),
  row({ backoff: { initial: 0 } }, 'backoff.initial', '0', MS),
  row({ backoff: { min: 0 } }, 'backoff.min', '0', MS),
  row(
    { backoff: { initial: 30_000, max: 1_000 } },
    'backoff.max',
    '1000',
    'expected at least initial (30000)',
  ),
  row(
    { backoff: { min: 100, initial: 100 } },
    'backoff.min',
    '100',
    'expected backoff.initial or backoff.min (deprecated), not both',
  ),
  row(
    { retry: { delay: { min: 100, initial: 200 } } },
    'retry.delay.min',
    '100',
    'expected retry.delay.initial or retry.delay.min (deprecated), not both',
  ),
  row({ backoff: { base: 100 } }, 'backoff.base', '100', 'unknown option'),
  row({ consumerTimeout: -1 }, 'consumerTimeout', '-1', MS),
  row(
    { consumerTimeout: 2 ** 32 },
    'consumerTimeout',
    '4294967296',
    'expected at most 2147483647 ms',
  ),
  row({ exchange: 'orders' }, 'exchange', "'orders'", 'unknown option'),
];

describe('rabbitmqProducer refuses a bad option at once, naming it', () => {
  it.each(rows.map((r) => [`${r.path} = ${r.got}`, r] as const))('%s', (_name, r) => {
    expectRefused(rabbitmqProducer, r);
  });
});

const secrets: ProducerRow[] = [
  row(
    { connection: { socketOptions: { passphrase: 'Rabbit-Secret-43' }, timeout: 0 } },
    'connection.timeout',
    '0',
    MS,
    'Rabbit-Secret-43',
  ),
];
describe('rabbitmqProducer never shows a secret it was not asked about', () => {
  it.each(secrets.map((r) => [r.path, r] as const))('%s', (_name, r) => {
    expectRefused(rabbitmqProducer, r);
  });
});

const leaking: ProducerRow[] = [
  row(
    { url: 'http://guest:Rabbit-Secret-41@127.0.0.1:5672' },
    'url',
    "'http://guest:",
    URL,
    'Rabbit-Secret-41',
  ),
  row(
    { url: 'amqp//guest:Rabbit-Secret-42@127.0.0.1:5672' },
    'url',
    "'amqp//guest:",
    URL,
    'Rabbit-Secret-42',
  ),
];
describe('rabbitmqProducer never shows a secret in a bad option', () => {
  it.each(leaking.map((r) => [r.path, r] as const))('%s', (_name, r) => {
    expectRefused(rabbitmqProducer, r);
  });
});
