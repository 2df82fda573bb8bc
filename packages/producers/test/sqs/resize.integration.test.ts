/**
 * pipeline.resize() over a real SQS queue (ElasticMQ): the processors grow
 * 2 → 6 → 1 and the batcher 1 → 3 → 1 while messages are in flight; every
 * message is handled and deleted exactly once and the queue ends empty.
 */
import { describeWithBroker } from '@sluice/producers/testing/vitest';
import { expect, it } from 'vitest';
import { resizeScenario } from '../resize-scenario.ts';
import { elasticMq, type SqsMessage } from './elasticmq.ts';

const N = 300;

describeWithBroker('sqs', 'pipeline.resize() over a real SQS queue', () => {
  const sqs = elasticMq();

  it('grows and shrinks the processors and the batcher mid-run: nothing lost or handled twice', async () => {
    const queue = await sqs.create();
    await queue.publish(N);
    const scenario = resizeScenario((m) => (m as SqsMessage).data);
    await scenario.run(sqs.run(queue, {}, scenario.definition), N);
    expect(await queue.drain()).toEqual([]);
  }, 60_000);
});
