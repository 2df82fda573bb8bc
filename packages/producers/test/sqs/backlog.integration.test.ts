import diagnostics from 'node:diagnostics_channel';
import { pipelineChannels, type BacklogEvent } from '@sluice/core';
import { countMessages } from '@sluice/producers/sqs/testing';
import { describeWithBroker } from '@sluice/producers/testing/vitest';
import { afterEach, expect, it } from 'vitest';
import { elasticMq, until } from './elasticmq.ts';

describeWithBroker('sqs', 'SQS backlog on ElasticMQ', () => {
  const sqs = elasticMq();
  const { create, run } = sqs;
  const events: BacklogEvent[] = [];
  const listener = (e: unknown): void => void events.push(e as BacklogEvent);
  let release = (): void => undefined;
  afterEach(() => {
    release();
    diagnostics.unsubscribe(pipelineChannels.backlog, listener);
    events.length = 0;
  });

  it('reports what the queue reports: visible as waiting, not visible as in flight', async () => {
    const queue = await create();
    await queue.publish(30);
    const held = new Promise<void>((r) => (release = r));
    diagnostics.subscribe(pipelineChannels.backlog, listener);
    const p = run(
      queue,
      {},
      {
        processors: { default: { concurrency: 1, maxDemand: 5 } },
        handleMessage: async (_p, m) => {
          await held;
          return m;
        },
      },
    );
    await p.start();
    let counts = { visible: -1, inFlight: -1, delayed: 0 };
    let last: BacklogEvent | undefined;
    await until(async () => {
      counts = await countMessages(sqs.client, queue.url);
      last = events.at(-1);
      return (
        counts.inFlight > 0 && last?.waiting === counts.visible && last.inFlight === counts.inFlight
      );
    }, 'a backlog sample equal to the queue counts');
    expect(last).toMatchObject({ pipeline: p.name, broker: 'sqs', destination: queue.name });
    expect(counts.visible + counts.inFlight).toBe(30);
    expect(p.stats().backlog).toEqual([
      {
        broker: 'sqs',
        destination: queue.name,
        waiting: counts.visible,
        inFlight: counts.inFlight,
        at: last?.at,
      },
    ]);
  }, 30_000);
});
