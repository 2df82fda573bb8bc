/**
 * Issue 15's bad-input suite, secrets: a bad pipeline file that holds a
 * password or token fails as clearly as any other, and the secret appears
 * nowhere in what `sluice` prints.
 */
import { describe, it } from 'vitest';
import { expectClearFailure, type CliRow } from './support.ts';

const rabbit = (options: string) => `name: x\nproducer: { type: rabbitmq, queue: q, ${options} }\n`;
const row = (
  name: string,
  text: string,
  secret: string,
  says: readonly string[],
  more: Partial<CliRow> = {},
  command: 'validate' | 'run' = 'validate',
): CliRow => ({
  name: `${command}: ${name}`,
  args: [command, 'p.yaml'],
  files: { 'p.yaml': text },
  code: 2,
  says,
  secret,
  ...more,
});

const rows: CliRow[] = [
  row(
    'a bad option next to an AMQP password',
    rabbit('url: "amqp://guest:Cli-Secret-01@h", prefetch: 0'),
    'Cli-Secret-01',
    ['producer.prefetch: expected an integer from 1 to 65535, got 0'],
  ),
  row(
    'an AMQP URL with the wrong scheme',
    rabbit('url: "http://guest:Cli-Secret-02@h:5672"'),
    'Cli-Secret-02',
    ['producer.url: expected an amqp:// or amqps:// URL', 'guest:[redacted]@h'],
  ),
  row(
    'a SASL password of the wrong type',
    'name: x\nproducer: { type: kafka, groupId: g, topics: [t], sasl: { mechanism: plain, username: u, password: 98765432101 } }',
    '98765432101',
    ['producer.sasl.password: expected string, got [redacted]'],
  ),
  row(
    'a SASL block written as a string',
    'name: x\nproducer: { type: kafka, groupId: g, topics: [t], sasl: "u:Cli-Secret-03" }',
    'Cli-Secret-03',
    ['producer.sasl: expected object, got [redacted]'],
  ),
  row(
    'an SQS URL with credentials and a bad scheme',
    'name: x\nproducer: { type: sqs, queueUrl: "sqs://AKIA:Cli-Secret-04@h/q" }',
    'Cli-Secret-04',
    ['producer.queueUrl: expected a queue URL'],
  ),
  row(
    'a password from the environment in a bad URL',
    rabbit('url: "${AMQP_URL}"'),
    'Cli-Secret-05',
    ['producer.url: expected an amqp:// or amqps:// URL'],
    { env: { AMQP_URL: 'https://guest:Cli-Secret-05@h' } },
  ),
  row(
    'a syntax error after a password',
    'name: x\nproducer: { type: rabbitmq, queue: q, url: "amqp://guest:Cli-Secret-06@h" }\nprocessors: [oops\n',
    'Cli-Secret-06',
    ['syntax error'],
  ),
  row(
    'a bad option next to an AMQP password',
    rabbit('url: "amqp://guest:Cli-Secret-07@h", prefetch: 0'),
    'Cli-Secret-07',
    ['producer.prefetch'],
    {},
    'run',
  ),
  row(
    'a broker that refuses the connection',
    rabbit('url: "amqp://guest:Cli-Secret-08@127.0.0.1:1", connection: { timeout: 2000 }'),
    'Cli-Secret-08',
    ['failed to start'],
    { code: 1 },
    'run',
  ),
];

describe('sluice never prints a secret of a bad file', () => {
  it.each(rows.map((r) => [r.name, r] as const))('%s', async (_name, r) => {
    await expectClearFailure(r);
  });
});

const leaking: CliRow[] = [
  row(
    'an AMQP URL missing its colon',
    rabbit('url: "amqp//guest:Cli-Secret-11@h"'),
    'Cli-Secret-11',
    ['producer.url: expected an amqp:// or amqps:// URL'],
  ),
];
describe('sluice never prints a secret of a bad file (redaction)', () => {
  it.each(leaking.map((r) => [r.name, r] as const))('%s', async (_name, r) => {
    await expectClearFailure(r);
  });
});
