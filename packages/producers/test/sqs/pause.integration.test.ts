/**
 * pipeline.pause() / resume() over a real SQS queue (ElasticMQ), paused
 * for three times the queue's 1 s visibility timeout with messages held in
 * the processors: their visibility is extended, so none is received twice; after resume every message is handled exactly once and
 * the queue ends empty.
 */
import { describeWithBroker } from '@sluice/producers/testing/vitest';
import { expect, it } from 'vitest';
import { elasticMq, until, type SqsMessage } from './elasticmq.ts';

const N = 300;

describeWithBroker('sqs', 'pipeline.pause() / resume() over a real SQS queue', () => {
  const sqs = elasticMq();

  it('holds its place through a pause longer than the visibility timeout: nothing lost or handled twice', async () => {
    const queue = await sqs.create({ attributes: { VisibilityTimeout: '1' } });
    await queue.publish(N);
    const handled = new Map<string, number>();
    let waiting = 0;
    let gate: Promise<void> | undefined;
    let open!: () => void;
    const pipeline = sqs.run(
      queue,
      {},
      {
        processors: { default: { concurrency: 4 } },
        handleMessage: async (_k, m) => {
          if (gate === undefined) await new Promise((r) => setImmediate(r));
          else {
            waiting++;
            await gate;
          }
          const body = (m as SqsMessage).data;
          handled.set(body, (handled.get(body) ?? 0) + 1);
          return m;
        },
      },
    );
    await pipeline.start();
    await until(() => pipeline.stats().successful >= 50, '50 messages acked');
    // The processors stop on a handler that waits, each holding its chunk;
    // the pipeline is paused with them (and whatever else it received) held.
    gate = new Promise((r) => (open = r));
    await until(() => waiting === 4, 'every processor waiting in its handler');
    expect(pipeline.pause()).toBe(true);
    // The acks of what finished before the gate closed go out once the thread is idle.
    await new Promise((r) => setTimeout(r, 100));
    const atPause = pipeline.stats();
    expect(atPause.inFlight).toBeGreaterThan(4);
    // Three visibility timeouts: what the pipeline holds would be received
    // again by now unless its visibility is extended.
    await new Promise((r) => setTimeout(r, 3000));
    expect(pipeline.stats().successful).toBe(atPause.successful);
    expect(pipeline.health()).toMatchObject({ ready: true, paused: true });
    open();
    gate = undefined;

    expect(pipeline.resume()).toBe(true);
    await until(() => pipeline.stats().successful === N, `all ${N} acked`, 30_000);
    expect(await pipeline.stop()).toEqual({ unacked: 0, timedOut: false });
    expect(handled.size).toBe(N);
    expect([...handled.entries()].filter(([, n]) => n > 1)).toEqual([]);
    expect(await queue.drain()).toEqual([]);
  }, 60_000);
});
