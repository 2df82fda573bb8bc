import diagnostics from 'node:diagnostics_channel';
import { describeWithBroker } from '@sluice/producers/testing/vitest';
import { expect, it } from 'vitest';
import { sqsChannels, type SqsDeleteEvent } from '../../src/sqs/index.ts';
import { elasticMq, until, type SqsMessage } from './elasticmq.ts';

describeWithBroker('sqs', 'sqsProducer on ElasticMQ, 10,000 messages', () => {
  const sqs = elasticMq();
  const { create, run } = sqs;

  it('runs 10,000 messages with random failures: each success deleted once, each failure redelivered', async () => {
    const queue = await create();
    const total = 10_000;
    // Ten senders in parallel, 10 messages per call.
    await Promise.all(
      Array.from({ length: 10 }, async (_, lane) => {
        for (let start = lane * 10; start < total; start += 100) {
          const entries = Array.from({ length: 10 }, (_, k) => ({
            id: String(k),
            body: `message-${start + k}`,
          }));
          const result = await sqs.client.sendMessageBatch(queue.url, entries);
          expect(result.failed).toEqual([]);
        }
      }),
    );
    const succeeded = new Map<string, number>();
    const failedOnce = new Set<string>();
    const redelivered = new Set<string>();
    let deleted = 0;
    const refused: unknown[] = [];
    const onDelete = (e: unknown) => {
      deleted += (e as SqsDeleteEvent).count;
      refused.push(...(e as SqsDeleteEvent).failed);
    };
    diagnostics.subscribe(sqsChannels.delete, onDelete);
    try {
      await run(
        queue,
        // A failure is made visible again at once (retry backoff of 0 s).
        { onFailure: 'retry', retryBackoff: { initial: 0 } },
        {
          processors: { default: { concurrency: 100 } },
          handleMessage: (_p, message) => {
            const m = message as SqsMessage;
            const body = m.data;
            if (failedOnce.has(body)) redelivered.add(body);
            else if (Math.random() < 0.1) {
              failedOnce.add(body);
              return m.fail('random failure');
            }
            succeeded.set(body, (succeeded.get(body) ?? 0) + 1);
            return m;
          },
        },
      ).start();
      await until(() => deleted >= total, `${total} deletes`, 25_000);
      await sqs.pipeline?.stop();
    } finally {
      diagnostics.unsubscribe(sqsChannels.delete, onDelete);
    }
    expect(refused).toEqual([]);
    expect(deleted).toBe(total);
    expect(succeeded.size).toBe(total);
    expect([...succeeded.values()].every((n) => n === 1)).toBe(true);
    expect(failedOnce.size).toBeGreaterThan(500);
    expect(redelivered).toEqual(failedOnce);
    expect(await queue.count()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  }, 30_000);
});
