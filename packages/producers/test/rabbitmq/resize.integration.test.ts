/**
 * pipeline.resize() over a real RabbitMQ queue: the processors grow 2 → 6 → 1
 * and the batcher 1 → 3 → 1 while messages are in flight; every message is
 * handled and acked exactly once and the queue ends empty. The default
 * prefetch follows each resize (broker-control.integration.test.ts checks
 * it at the broker).
 */
import { createPipeline } from '@sluice/core';
import { createTestQueue, type RabbitMqTestQueue } from '@sluice/producers/rabbitmq/testing';
import { describeWithBroker } from '@sluice/producers/testing/vitest';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { rabbitmqProducer } from '../../src/rabbitmq/index.ts';
import { resizeScenario } from '../resize-scenario.ts';
import { AMQP_URL, memoryLogger } from './support.ts';

const N = 300;

describeWithBroker('rabbitmq', 'pipeline.resize() over a real RabbitMQ queue', () => {
  let queue: RabbitMqTestQueue;

  beforeEach(async () => {
    queue = await createTestQueue();
    await queue.publish(N);
  });
  afterEach(() => queue.delete());

  it('grows and shrinks the processors and the batcher mid-run: nothing lost or handled twice', async () => {
    const scenario = resizeScenario((m) => String(m.id));
    const pipeline = createPipeline({
      name: 'resize-rabbitmq',
      logger: memoryLogger(),
      // The default prefetch: what the pipeline holds, recomputed on resize.
      producer: { module: rabbitmqProducer({ url: AMQP_URL, queue: queue.name }) },
      ...scenario.definition,
    });
    await scenario.run(pipeline, N);
    expect(await queue.readAll()).toEqual([]);
  }, 60_000);
});
