import type { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  DeleteMessageBatchCommand,
  QueueDoesNotExist,
  ReceiveMessageCommand,
  SQSServiceException,
} from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { BrokerError } from '../../src/errors.ts';
import { AwsSqsClient } from '../../src/sqs/aws-sqs-client.ts';
import { sqsClientConfigFromEnv } from '../../src/sqs/testing.ts';

const QUEUE = 'http://127.0.0.1:9324/000000000000/orders';

/** An SQSClient stand-in: records each command and answers with `reply`. */
function fakeSqs(reply: (command: unknown) => unknown) {
  const sent: unknown[] = [];
  const sqs = {
    send: (command: unknown) => {
      sent.push(command);
      return Promise.resolve().then(() => reply(command));
    },
  } as unknown as SQSClient;
  return { client: new AwsSqsClient(sqs), sent };
}

async function rejection(promise: Promise<unknown>): Promise<BrokerError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BrokerError);
  return error as BrokerError;
}

describe('AwsSqsClient', () => {
  it('reports a missing queue as ERR_QUEUE_NOT_FOUND, naming the queue URL', async () => {
    const missing = new QueueDoesNotExist({
      message: 'The specified queue does not exist.',
      $metadata: {},
    });
    const { client } = fakeSqs(() => {
      throw missing;
    });
    const error = await rejection(
      client.receiveMessages(QUEUE, {
        maxNumberOfMessages: 10,
        waitTimeSeconds: 0,
        attributeNames: [],
        messageAttributeNames: [],
      }),
    );
    expect(error.code).toBe('ERR_QUEUE_NOT_FOUND');
    expect(error.broker).toBe('sqs');
    expect(error.message).toBe(`SQS queue ${QUEUE} does not exist (ReceiveMessage)`);
    expect(error.cause).toBe(missing);
  });

  it('reports any other AWS error as ERR_BROKER_REQUEST with its name and message', async () => {
    const throttled = new SQSServiceException({
      name: 'RequestThrottled',
      $fault: 'client',
      message: 'Rate exceeded',
      $metadata: {},
    });
    const { client } = fakeSqs(() => {
      throw throttled;
    });
    const error = await rejection(client.deleteQueue(QUEUE));
    expect(error.code).toBe('ERR_BROKER_REQUEST');
    expect(error.message).toBe(
      `SQS DeleteQueue on ${QUEUE} failed: RequestThrottled: Rate exceeded`,
    );
    expect(error.cause).toBe(throttled);
  });

  it('reports a refused connection as ERR_BROKER_UNREACHABLE, naming the endpoint', async () => {
    const client = new AwsSqsClient({
      ...sqsClientConfigFromEnv({ SQS_ENDPOINT: 'http://127.0.0.1:1' }),
      maxAttempts: 1,
    });
    try {
      const error = await rejection(client.listQueues());
      expect(error.code).toBe('ERR_BROKER_UNREACHABLE');
      expect(error.message).toMatch(
        /^cannot reach SQS at http:\/\/127\.0\.0\.1:1 \(ListQueues on \*\): .*ECONNREFUSED/,
      );
    } finally {
      client.close();
    }
  });

  it('rejects an aborted receive with the AbortError itself', async () => {
    const abort = Object.assign(new Error('Request aborted'), { name: 'AbortError' });
    const { client } = fakeSqs(() => {
      throw abort;
    });
    const receiving = client.receiveMessages(QUEUE, {
      maxNumberOfMessages: 1,
      waitTimeSeconds: 20,
      attributeNames: [],
      messageAttributeNames: [],
      signal: AbortSignal.abort(),
    });
    await expect(receiving).rejects.toBe(abort);
  });

  it('sends ReceiveMessage with the options given and normalizes the messages', async () => {
    const { client, sent } = fakeSqs(() => ({
      Messages: [
        {
          MessageId: 'm1',
          ReceiptHandle: 'r1',
          Body: 'hello',
          MD5OfBody: '5d41402abc4b2a76b9719d911017c592',
          Attributes: { ApproximateReceiveCount: '2' },
          MessageAttributes: { kind: { DataType: 'String', StringValue: 'order' } },
        },
      ],
    }));
    const messages = await client.receiveMessages(QUEUE, {
      maxNumberOfMessages: 10,
      waitTimeSeconds: 20,
      visibilityTimeout: 30,
      attributeNames: ['ApproximateReceiveCount'],
      messageAttributeNames: ['All'],
    });
    expect(messages).toEqual([
      {
        messageId: 'm1',
        receiptHandle: 'r1',
        body: 'hello',
        md5OfBody: '5d41402abc4b2a76b9719d911017c592',
        attributes: { ApproximateReceiveCount: '2' },
        messageAttributes: { kind: { dataType: 'String', stringValue: 'order' } },
      },
    ]);
    expect(sent[0]).toBeInstanceOf(ReceiveMessageCommand);
    expect((sent[0] as ReceiveMessageCommand).input).toEqual({
      QueueUrl: QUEUE,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 20,
      VisibilityTimeout: 30,
      MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      MessageAttributeNames: ['All'],
    });
  });

  it('reports which batch entries succeeded and which failed', async () => {
    const { client, sent } = fakeSqs(() => ({
      Successful: [{ Id: 'a' }],
      Failed: [
        { Id: 'b', Code: 'ReceiptHandleIsInvalid', Message: 'bad handle', SenderFault: true },
      ],
    }));
    const result = await client.deleteMessageBatch(QUEUE, [
      { id: 'a', receiptHandle: 'ra' },
      { id: 'b', receiptHandle: 'rb' },
    ]);
    expect(result).toEqual({
      successful: [{ id: 'a' }],
      failed: [
        { id: 'b', code: 'ReceiptHandleIsInvalid', message: 'bad handle', senderFault: true },
      ],
    });
    expect(sent[0]).toBeInstanceOf(DeleteMessageBatchCommand);
  });

  it('sends FIFO and attribute fields of a SendMessageBatch entry only when given', async () => {
    const { client, sent } = fakeSqs(() => ({
      Successful: [{ Id: '0', MessageId: 'm0' }],
      Failed: [],
    }));
    const result = await client.sendMessageBatch(QUEUE, [
      {
        id: '0',
        body: 'b',
        messageGroupId: 'g',
        messageAttributes: { n: { dataType: 'Number', stringValue: '1' } },
      },
    ]);
    expect(result.successful).toEqual([{ id: '0', messageId: 'm0' }]);
    expect((sent[0] as SendMessageBatchCommand).input.Entries).toEqual([
      {
        Id: '0',
        MessageBody: 'b',
        MessageGroupId: 'g',
        MessageAttributes: { n: { DataType: 'Number', StringValue: '1' } },
      },
    ]);
  });

  it('makes no request for an empty batch', async () => {
    const { client, sent } = fakeSqs(() => ({}));
    expect(await client.deleteMessageBatch(QUEUE, [])).toEqual({ successful: [], failed: [] });
    expect(await client.changeMessageVisibilityBatch(QUEUE, [])).toEqual({
      successful: [],
      failed: [],
    });
    expect(await client.sendMessageBatch(QUEUE, [])).toEqual({ successful: [], failed: [] });
    expect(sent).toEqual([]);
  });
});

describe('sqsClientConfigFromEnv', () => {
  it('points at SQS_ENDPOINT in us-east-1 with placeholder credentials', () => {
    expect(sqsClientConfigFromEnv({})).toEqual({
      endpoint: 'http://127.0.0.1:9324',
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
  });
});
