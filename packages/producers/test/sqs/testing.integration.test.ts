import { isBrokerError } from '@sluice/producers';
import { AwsSqsClient } from '@sluice/producers/sqs';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import {
  createTestQueue,
  sqsClientConfigFromEnv,
  type SqsTestQueue,
} from '../../src/sqs/testing.ts';
import { describeWithBroker } from '../../src/testing/vitest.ts';

/** Every queue these tests create starts with this, so leftovers are easy to find. */
const PREFIX = 'sluice-test-fixtures-';

describeWithBroker('sqs', 'SQS fixtures', () => {
  let client: AwsSqsClient;
  const queues: SqsTestQueue[] = [];
  const create = async (options: Parameters<typeof createTestQueue>[0] = {}) => {
    const queue = await createTestQueue({ client, namePrefix: PREFIX, ...options });
    queues.push(queue);
    return queue;
  };

  beforeAll(() => {
    client = new AwsSqsClient(sqsClientConfigFromEnv());
  });
  afterEach(async () => {
    await Promise.all(queues.splice(0).map((q) => q.delete()));
  });
  afterAll(() => {
    client.close();
  });

  it('starts from a clean broker: no queue is left from an earlier run', async () => {
    expect(await client.listQueues(PREFIX)).toEqual([]);
  });

  it('creates a uniquely named queue, publishes 100 messages and reads back exactly those', async () => {
    const queue = await create();
    expect(queue.name).toMatch(/^sluice-test-fixtures-[0-9a-f]{12}$/);
    expect(queue.url).toBe(await client.getQueueUrl(queue.name));

    const sent = await queue.publish(100);
    expect(sent.map((m) => m.body)).toEqual(Array.from({ length: 100 }, (_, i) => `message-${i}`));
    expect(await queue.count()).toEqual({ visible: 100, inFlight: 0, delayed: 0 });

    const read = await queue.drain();
    expect(read.map((m) => m.messageId).sort()).toEqual(sent.map((m) => m.messageId).sort());
    expect(read.map((m) => m.body).sort()).toEqual(sent.map((m) => m.body).sort());
    expect(await queue.count()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    expect(await queue.drain()).toEqual([]);
  });

  it('creates a dead-letter queue that receives messages after maxReceiveCount receives', async () => {
    const queue = await create({ dlq: { maxReceiveCount: 1 } });
    expect(queue.dlq?.name).toBe(`${queue.name}-dlq`);
    await queue.publish(5);

    // First receive: visible again at once, and one receive used up.
    const seen = new Set<string>();
    while (seen.size < 5) {
      const batch = await client.receiveMessages(queue.url, {
        maxNumberOfMessages: 10,
        waitTimeSeconds: 0,
        visibilityTimeout: 0,
        attributeNames: [],
        messageAttributeNames: [],
      });
      for (const m of batch) seen.add(m.body);
    }

    expect(await queue.drain()).toEqual([]);
    const dead = await queue.drainDlq();
    expect(dead.map((m) => m.body).sort()).toEqual([...seen].sort());
  });

  it('keeps a FIFO queue in order', async () => {
    const queue = await create({ fifo: true });
    expect(queue.name).toMatch(/\.fifo$/);
    await queue.publish(25);
    const read = await queue.drain();
    expect(read.map((m) => m.body)).toEqual(Array.from({ length: 25 }, (_, i) => `message-${i}`));
  });

  it('deletes its queues, and delete() is safe to call twice', async () => {
    const queue = await createTestQueue({
      client,
      namePrefix: PREFIX,
      dlq: { maxReceiveCount: 3 },
    });
    await queue.publish(3);
    await queue.delete();
    await queue.delete();
    const names = [queue.name, queue.dlq?.name ?? ''];
    for (const name of names) {
      const lookup = client.getQueueUrl(name).then(
        () => 'exists',
        (error: unknown) => (isBrokerError(error, 'ERR_QUEUE_NOT_FOUND') ? 'gone' : error),
      );
      expect(await lookup).toBe('gone');
    }
  });

  it('leaves no queue behind', async () => {
    await Promise.all(queues.splice(0).map((q) => q.delete()));
    expect(await client.listQueues(PREFIX)).toEqual([]);
  });
});
