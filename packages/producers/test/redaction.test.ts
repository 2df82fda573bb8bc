/**
 * Secrets in the producers' option and connection errors (issue 15, item 8):
 * URLs whose password has an unencoded `/` or `@`, SQS queue URLs with
 * credentials, and `sasl` values never appear in a message, in `issues`, in
 * the cause a logger prints with the error, or in a log line.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { createPipeline, type Pipeline } from '@sluice/core';
import type { ChannelModel } from 'amqplib';
import { afterEach, describe, expect, it } from 'vitest';
import { BrokerError } from '../src/errors.ts';
import { kafkaProducer } from '../src/kafka/index.ts';
import { AmqplibClient } from '../src/rabbitmq/amqplib-client.ts';
import { rabbitmqProducer } from '../src/rabbitmq/index.ts';
import { AwsSqsClient } from '../src/sqs/aws-sqs-client.ts';
import { sqsProducer } from '../src/sqs/index.ts';
import { FakeSqs, memoryLogger } from './sqs/fake-sqs.ts';

/** What a logger would print of `error`: its message, stack, data and causes. */
function printed(error: unknown): string {
  const parts: string[] = [];
  for (let e = error; e instanceof Error; e = e.cause) {
    parts.push(e.message, e.stack ?? '', JSON.stringify(e));
  }
  return parts.join('\n');
}

function thrown(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

describe('option errors from code', () => {
  it('rabbitmqProducer: a url with / and @ in its password', () => {
    const error = thrown(() =>
      rabbitmqProducer({ url: 'http://app:p@ss/w0rd@host:5672', queue: 'q' }),
    );
    expect(error.message).toContain(
      "url: expected an amqp:// or amqps:// URL, got 'http://app:[redacted]@host:5672'",
    );
    expect(printed(error)).not.toMatch(/w0rd|p@ss/);
  });

  it('kafkaProducer: sasl.password of the wrong type', () => {
    const error = thrown(() =>
      kafkaProducer({
        groupId: 'g',
        topics: ['t'],
        sasl: { mechanism: 'plain', username: 'app', password: 987654 as unknown as string },
      }),
    );
    expect(error.message).toContain('sasl.password: expected string, got [redacted]');
    expect(printed(error)).not.toContain('987654');
  });

  it('kafkaProducer: sasl that is not an object, or has an unknown key', () => {
    const error = thrown(() =>
      kafkaProducer({
        groupId: 'g',
        topics: ['t'],
        sasl: 'app:hunter2-secret' as never,
      }),
    );
    expect(error.message).toContain('sasl: expected object, got [redacted]');
    const extra = thrown(() =>
      kafkaProducer({
        groupId: 'g',
        topics: ['t'],
        sasl: {
          mechanism: 'plain',
          username: 'app',
          password: 'x',
          token: 'hunter2-secret',
        } as never,
      }),
    );
    expect(extra.message).toContain('sasl.token: unknown option, got [redacted]');
    expect(printed(error) + printed(extra)).not.toContain('hunter2');
  });

  it('sqsProducer: queueUrl and deadLetterQueueUrl with credentials', () => {
    const error = thrown(() =>
      sqsProducer({
        queueUrl: 'sqs://key:s3cr/et@host/q',
        deadLetterQueueUrl: 'ftp://key:s3cr@et@host/dlq',
      }),
    );
    expect(error.message).toContain(
      "queueUrl: expected a queue URL (http:// or https://), got 'sqs://key:[redacted]@host/q'",
    );
    expect(error.message).toContain(
      "deadLetterQueueUrl: expected a queue URL (http:// or https://), got 'ftp://key:[redacted]@host/dlq'",
    );
    expect(printed(error)).not.toMatch(/s3cr|et@/);
  });
});

describe('RabbitMQ connection errors', () => {
  const failing = (error: Error) =>
    new AmqplibClient({ connect: () => Promise.reject<ChannelModel>(error) });

  it('hide a password with an unencoded /, which amqplib cannot parse', async () => {
    const url = 'amqp://app:p/w0rd@127.0.0.1:5672';
    const error = await rejection(
      failing(new Error('Expected amqp: or amqps: as the protocol; got ')).connect(url),
    );
    expect(error.message).toBe(
      'RabbitMQ at amqp://app:[redacted]@127.0.0.1:5672 refused the connection: Expected amqp: or amqps: as the protocol; got ',
    );
    expect(printed(error)).not.toContain('w0rd');
  });

  it('hide a password with an unencoded @, and the piece amqplib took for the host', async () => {
    const url = 'amqp://app:p@ss/w0rd@127.0.0.1:5672';
    const dns = Object.assign(new Error('getaddrinfo ENOTFOUND ss'), { code: 'ENOTFOUND' });
    const error = await rejection(failing(dns).connect(url));
    expect(error).toBeInstanceOf(BrokerError);
    expect(error.message).toBe(
      'cannot reach RabbitMQ at amqp://app:[redacted]@127.0.0.1:5672: getaddrinfo ENOTFOUND [redacted]',
    );
    expect(printed(error)).not.toMatch(/w0rd|\bss\b/);
    expect((error.cause as { code?: string }).code).toBe('ENOTFOUND');
  });
});

describe('SQS connection errors', () => {
  const queueUrl = 'https://AKIA:s3cr/et@sqs.example:9324/000000000000/orders';
  let pipeline: Pipeline | undefined;
  afterEach(async () => {
    await pipeline?.stop();
    pipeline = undefined;
  });

  it('hide the credentials of a queue URL in the client errors and their cause', async () => {
    const refused = Object.assign(new Error(`connect ECONNREFUSED for ${queueUrl}`), {
      code: 'ECONNREFUSED',
    });
    const sqs = { send: () => Promise.reject(refused) } as unknown as SQSClient;
    const error = await rejection(new AwsSqsClient(sqs).purgeQueue(queueUrl));
    expect(error.message).toContain(
      'PurgeQueue on https://AKIA:[redacted]@sqs.example:9324/000000000000/orders',
    );
    expect(printed(error)).not.toContain('s3cr');
  });

  it('hide them when start() fails and in the log of a failed receive', async () => {
    const fake = new FakeSqs();
    fake.missingQueues.add(queueUrl);
    const { logger } = memoryLogger();
    pipeline = createPipeline({
      name: 'redaction',
      logger,
      producer: { module: sqsProducer({ queueUrl, client: fake }) },
      processors: { default: {} },
      handleMessage: (_p, m) => m,
    });
    const error = await rejection(pipeline.start());
    expect(error.message).toBe(
      'sqs producer cannot start: queue https://AKIA:[redacted]@sqs.example:9324/000000000000/orders does not exist',
    );
    expect(printed(error)).not.toContain('s3cr');
    pipeline = undefined;

    const flaky = new FakeSqs();
    let failures = 1;
    flaky.onReceive = () =>
      failures-- > 0 ? new BrokerError('ERR_BROKER_UNREACHABLE', 'sqs', 'refused') : undefined;
    const memory = memoryLogger();
    pipeline = createPipeline({
      name: 'redaction',
      logger: memory.logger,
      producer: { module: sqsProducer({ queueUrl, client: flaky }) },
      processors: { default: {} },
      handleMessage: (_p, m) => m,
    });
    await pipeline.start();
    for (let i = 0; i < 2000 && failures >= 0; i++) await new Promise((r) => setTimeout(r, 2));
    for (let i = 0; i < 2000 && memory.lines.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 2));
    }
    const logged = JSON.stringify(memory.lines);
    expect(logged).toContain('SQS receive failed');
    expect(logged).toContain('https://AKIA:[redacted]@sqs.example');
    expect(logged).not.toContain('s3cr');
  });
});
