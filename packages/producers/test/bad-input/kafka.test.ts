/** Issue 15's bad-input suite: every option of kafkaProducer, refused at once. */
import { describe, it } from 'vitest';
import { kafkaProducer } from '../../src/kafka/index.ts';
import { expectRefused, rowsFor, type ProducerRow } from './support.ts';

const row = rowsFor({ brokers: ['kafka-1:9092'], groupId: 'billing', topics: ['orders'] });
const MS = 'expected a positive number of ms';
const POSITIVE = 'expected a positive integer';
const NAME = 'expected a non-empty string';
const sasl = { mechanism: 'plain', username: 'billing' };

const rows: ProducerRow[] = [
  row({ groupId: undefined }, 'groupId', 'undefined', NAME),
  row({ groupId: '' }, 'groupId', "''", NAME),
  row({ topics: undefined }, 'topics', 'undefined', 'expected array'),
  row({ topics: 'orders' }, 'topics', "'orders'", 'expected array'),
  row({ topics: [] }, 'topics', '[]', 'expected at least one topic'),
  row({ topics: [''] }, 'topics[0]', "''", NAME),
  row({ topics: [42] }, 'topics[0]', '42', NAME),
  row({ brokers: '127.0.0.1:9092' }, 'brokers', "'127.0.0.1:9092'", 'expected array'),
  row({ brokers: [] }, 'brokers', '[]', 'expected at least one broker'),
  row({ brokers: [''] }, 'brokers[0]', "''", NAME),
  row({ clientId: '' }, 'clientId', "''", NAME),
  row({ fromBeginning: 'true' }, 'fromBeginning', "'true'", 'expected a boolean'),
  row({ sessionTimeout: 0 }, 'sessionTimeout', '0', MS),
  row({ sessionTimeout: '30s' }, 'sessionTimeout', "'30s'", MS),
  row(
    { sessionTimeout: 2 ** 31 },
    'sessionTimeout',
    '2147483648',
    'expected at most 2147483647 ms',
  ),
  row({ heartbeatInterval: -1 }, 'heartbeatInterval', '-1', MS),
  row(
    { heartbeatInterval: 30_000 },
    'heartbeatInterval',
    '30000',
    'expected less than sessionTimeout (30000)',
  ),
  row(
    { sessionTimeout: 10_000, heartbeatInterval: 12_000 },
    'heartbeatInterval',
    '12000',
    'less than sessionTimeout (10000)',
  ),
  row({ rebalanceTimeout: 0 }, 'rebalanceTimeout', '0', MS),
  row(
    { revokeTimeout: 60_000 },
    'revokeTimeout',
    '60000',
    'expected less than rebalanceTimeout (60000)',
  ),
  row({ revokeTimeout: NaN }, 'revokeTimeout', 'NaN', MS),
  row({ fetch: 1024 }, 'fetch', '1024', 'expected object'),
  row({ fetch: { minBytes: 0 } }, 'fetch.minBytes', '0', POSITIVE),
  row({ fetch: { maxBytes: 1.5 } }, 'fetch.maxBytes', '1.5', POSITIVE),
  row({ fetch: { maxBytesPerPartition: '1MB' } }, 'fetch.maxBytesPerPartition', "'1MB'", POSITIVE),
  row({ fetch: { maxWaitTimeInMs: 0 } }, 'fetch.maxWaitTimeInMs', '0', MS),
  row({ fetch: { maxWait: 100 } }, 'fetch.maxWait', '100', 'unknown option'),
  row({ ssl: 'yes' }, 'ssl', "'yes'", 'matches none of the accepted forms'),
  row(
    { sasl: { ...sasl, password: 'x', mechanism: 'PLAIN' } },
    'sasl.mechanism',
    // Everything under sasl is hidden, the mechanism too (issue 15 item 8's rule).
    '[redacted]',
    "'plain', 'scram-sha-256', 'scram-sha-512'",
  ),
  row(
    { sasl: { ...sasl, password: 'x', mechanism: 'oauthbearer' } },
    'sasl.mechanism',
    '[redacted]',
    "'scram-sha-512'",
  ),
  row(
    { sasl: { mechanism: 'plain', password: 'x' } },
    'sasl.username',
    'undefined',
    'expected string',
  ),
  row({ ordering: 'offset' }, 'ordering', "'offset'", "expected one of 'partition', 'key'"),
  row({ onFailure: 'retry' }, 'onFailure', "'retry'", "expected one of 'skip', 'dlq', 'halt'"),
  row(
    { onFailure: 'dlq' },
    'dlq',
    'undefined',
    "expected { topic }, required with onFailure: 'dlq'",
  ),
  row({ onFailure: 'dlq', dlq: 'orders.dlq' }, 'dlq', "'orders.dlq'", 'expected object'),
  row({ onFailure: 'dlq', dlq: { topic: '' } }, 'dlq.topic', "''", NAME),
  row({ retry: 3 }, 'retry', '3', 'expected object'),
  row({ retry: { maxAttempts: 0 } }, 'retry.maxAttempts', '0', POSITIVE),
  row({ retry: { maxAttempts: 1.5 } }, 'retry.maxAttempts', '1.5', POSITIVE),
  row({ retry: { attempts: -1 } }, 'retry.attempts', '-1', 'expected a non-negative integer'),
  row({ retry: { attempts: 1.5 } }, 'retry.attempts', '1.5', 'non-negative integer'),
  row(
    { retry: { attempts: 1, maxAttempts: 2 } },
    'retry.attempts',
    '1',
    'expected maxAttempts or attempts (deprecated), not both',
  ),
  row({ retry: { backoff: { initial: 0 } } }, 'retry.backoff.initial', '0', MS),
  row({ retry: { backoff: { max: -1 } } }, 'retry.backoff.max', '-1', MS),
  row({ retry: { tries: 3 } }, 'retry.tries', '3', 'unknown option'),
  row({ commitInterval: 0 }, 'commitInterval', '0', MS),
  row({ maxBufferedPerPartition: 0 }, 'maxBufferedPerPartition', '0', POSITIVE),
  row({ client: {} }, 'client', '{}', "expected 'kafkajs', 'platformatic' or a KafkaClient"),
  row(
    { client: 'librdkafka' },
    'client',
    "'librdkafka'",
    "expected 'kafkajs', 'platformatic' or a KafkaClient",
  ),
  row({ topic: 'orders' }, 'topic', "'orders'", 'unknown option'),
  row({ groupID: 'billing' }, 'groupID', "'billing'", 'unknown option'),
];

describe('kafkaProducer refuses a bad option at once, naming it', () => {
  it.each(rows.map((r) => [`${r.path} = ${r.got}`, r] as const))('%s', (_name, r) => {
    expectRefused(kafkaProducer, r);
  });
});

const secrets: ProducerRow[] = [
  row(
    { sasl: { ...sasl, password: 'Kafka-Secret-42', mechanism: 'PLAIN' } },
    'sasl.mechanism',
    '[redacted]',
    "'plain'",
    'Kafka-Secret-42',
  ),
  row(
    { brokers: ['admin:Kafka-Secret-45@broker:9092', ''] },
    'brokers[1]',
    "''",
    NAME,
    'Kafka-Secret-45',
  ),
];
describe('kafkaProducer never shows a secret in a bad option', () => {
  it.each(secrets.map((r) => [r.path, r] as const))('%s', (_name, r) => {
    expectRefused(kafkaProducer, r);
  });
});

const leaking: ProducerRow[] = [
  row(
    { sasl: { ...sasl, password: 12_345_678_901 } },
    'sasl.password',
    '[redacted]',
    'expected string',
    '12345678901',
  ),
  row(
    { sasl: { ...sasl, password: ['Kafka-Secret-43'] } },
    'sasl.password',
    "[ '[redacted]' ]",
    'expected string',
    'Kafka-Secret-43',
  ),
  row(
    { sasl: 'billing:Kafka-Secret-44' },
    'sasl',
    '[redacted]',
    'expected object',
    'Kafka-Secret-44',
  ),
];
describe('kafkaProducer never shows a secret in a bad option (redaction)', () => {
  it.each(leaking.map((r) => [r.path, r] as const))('%s', (_name, r) => {
    expectRefused(kafkaProducer, r);
  });
});
