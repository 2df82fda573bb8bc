import diagnostics from 'node:diagnostics_channel';
import { createPipeline, pipelineChannels, type BacklogEvent, type Pipeline } from '@sluice/core';
import { createTestTopic, type KafkaTestTopic } from '@sluice/producers/kafka/testing';
import { describeWithBroker } from '@sluice/producers/testing/vitest';
import { afterEach, expect, it } from 'vitest';
import { kafkaProducer } from '../../src/kafka/index.ts';
import { fastGroup, quietLogger, waitFor } from './helpers.ts';

describeWithBroker('kafka', 'Kafka backlog', () => {
  let topic: KafkaTestTopic | undefined;
  let pipeline: Pipeline | undefined;
  const events: BacklogEvent[] = [];
  const listener = (e: unknown): void => void events.push(e as BacklogEvent);
  afterEach(async () => {
    await pipeline?.stop();
    pipeline = undefined;
    diagnostics.unsubscribe(pipelineChannels.backlog, listener);
    events.length = 0;
    await topic?.delete();
  });

  it("reports each partition's lag on sluice:backlog and in stats(), 0 once all is fetched", async () => {
    topic = await createTestTopic({ partitions: 2 });
    await topic.publish(40);
    diagnostics.subscribe(pipelineChannels.backlog, listener);
    const p = createPipeline({
      name: 'kafka-backlog',
      logger: quietLogger(),
      producer: {
        module: kafkaProducer({
          ...fastGroup,
          groupId: `${topic.name}-g`,
          topics: [topic.name],
          fromBeginning: true,
        }),
      },
      processors: { default: { concurrency: 2 } },
      handleMessage: (_p, m) => m,
    });
    pipeline = p;
    await p.start();
    const name = topic.name;
    const lastOf = (partition: number) =>
      events.findLast((e) => e.destination === name && e.partition === partition);
    await waitFor(
      () => p.stats().successful === 40 && lastOf(0)?.waiting === 0 && lastOf(1)?.waiting === 0,
      () => `40 acked and lag 0 on both partitions: ${JSON.stringify(events.slice(-4))}`,
    );
    expect(lastOf(0)).toMatchObject({ pipeline: 'kafka-backlog', broker: 'kafka' });
    const backlog = p.stats().backlog.filter((s) => s.destination === name);
    expect(backlog.map((s) => [s.partition, s.waiting]).sort()).toEqual([
      [0, 0],
      [1, 0],
    ]);
  }, 60_000);
});
