/**
 * Sluice adds no region, credentials or endpoint of its own: without a
 * config, the AWS SDK's default chain decides, here from the environment
 * (AWS_ENDPOINT_URL_SQS, AWS_REGION, AWS_ACCESS_KEY_ID…) pointed at
 * ElasticMQ.
 */
import { createPipeline, silentLogger } from '@sluice/core';
import { describeWithBroker } from '@sluice/producers/testing/vitest';
import { afterEach, expect, it, vi } from 'vitest';
import { AwsSqsClient, sqsProducer } from '../../src/sqs/index.ts';
import { sqsClientConfigFromEnv } from '../../src/sqs/testing.ts';
import { elasticMq, until } from './elasticmq.ts';

describeWithBroker('sqs', 'the AWS SDK default chain', () => {
  const { create } = elasticMq();

  const useEnvironment = (endpoint = sqsClientConfigFromEnv().endpoint as string) => {
    vi.stubEnv('AWS_ENDPOINT_URL_SQS', endpoint);
    vi.stubEnv('AWS_REGION', 'eu-west-3');
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'from-the-environment');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'from-the-environment');
  };
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('an AwsSqsClient without a config calls the endpoint the environment names', async () => {
    const queue = await create();
    useEnvironment();
    const client = new AwsSqsClient();
    try {
      expect(await client.getQueueUrl(queue.name)).toBe(queue.url);
    } finally {
      client.close();
    }
  });

  it('an AwsSqsClient given no endpoint has none of its own to fall back on', async () => {
    useEnvironment('http://127.0.0.1:1');
    const client = new AwsSqsClient({ maxAttempts: 1 });
    try {
      await expect(client.listQueues()).rejects.toMatchObject({ code: 'ERR_BROKER_UNREACHABLE' });
    } finally {
      client.close();
    }
  });

  it('a producer without a client reads the queue through the same chain', async () => {
    const queue = await create();
    await queue.publish(3);
    useEnvironment();
    const seen: string[] = [];
    const pipeline = createPipeline({
      name: 'sqs-sdk-defaults',
      logger: silentLogger,
      producer: {
        module: sqsProducer({ queueUrl: queue.url, waitTimeSeconds: 1, receiveInterval: 0 }),
      },
      processors: { default: { concurrency: 1 } },
      handleMessage: (_p, m) => {
        seen.push(m.data);
        return m;
      },
    });
    await pipeline.start();
    try {
      await until(() => seen.length === 3, 'three messages');
    } finally {
      await pipeline.stop();
    }
    expect(seen.sort()).toEqual(['message-0', 'message-1', 'message-2']);
    expect(await queue.count()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });
});
