/**
 * pipeline.pause() / resume() over NATS JetStream, paused for three times
 * the consumer's 1 s ack wait with messages held in the processors: the
 * producer's working() heartbeats keep them from redelivery, so after
 * resume every message is handled exactly once and the consumer ends empty.
 */
import { describeWithBroker } from '@sluice/producers/testing/vitest';
import { afterEach, expect, it } from 'vitest';
import type { Pipeline } from '@sluice/core';
import { createTestStream, type NatsTestStream } from '../../src/nats/testing.ts';
import { natsPipeline, until } from './support.ts';

const N = 300;

describeWithBroker('nats', 'pipeline.pause() / resume() over NATS JetStream', () => {
  let s: NatsTestStream | undefined;
  let pipeline: Pipeline | undefined;
  let release = (): void => undefined;
  afterEach(async () => {
    release();
    await pipeline?.stop();
    pipeline = undefined;
    await s?.delete();
    s = undefined;
  });

  it('holds its place through a pause longer than ackWait: nothing lost or handled twice', async () => {
    s = await createTestStream({ ackWaitMs: 1000 });
    await s.publish(N);
    const seen = new Map<string, number>();
    let waiting = 0;
    let open!: () => void;
    let gate: Promise<void> | undefined = new Promise((r) => (open = r));
    let started = 0;
    release = () => open();
    const p = (pipeline = natsPipeline(
      s,
      { decode: 'string', partitionBy: 'none' },
      {
        processors: { default: { concurrency: 4, maxDemand: 10 } },
        handleMessage: async (_k, m) => {
          // From the 51st message on, every handler waits at the gate.
          if (gate === undefined || ++started <= 50) await new Promise((r) => setImmediate(r));
          else {
            waiting++;
            await gate;
          }
          const body = m.data as string;
          seen.set(body, (seen.get(body) ?? 0) + 1);
          return m;
        },
      },
    ));
    await p.start();
    await until(() => waiting === 4, 'every processor waiting in its handler');
    expect(p.pause()).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    const atPause = p.stats();
    expect(atPause.inFlight).toBeGreaterThan(4);
    // Three ack waits: JetStream would redeliver what the pipeline holds by now.
    await new Promise((r) => setTimeout(r, 3000));
    expect(p.stats().successful).toBe(atPause.successful);
    open();
    gate = undefined;
    expect(p.resume()).toBe(true);
    await until(() => p.stats().successful === N, `all ${N} acked`, 30_000);
    expect(await p.stop()).toEqual({ unacked: 0, timedOut: false });
    pipeline = undefined;
    expect(seen.size).toBe(N);
    expect([...seen.entries()].filter(([, n]) => n > 1)).toEqual([]);
    expect(await s.counts()).toEqual({ pending: 0, ackPending: 0, redelivered: 0 });
  }, 40_000);
});
