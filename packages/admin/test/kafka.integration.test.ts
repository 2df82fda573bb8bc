/**
 * Against a real Kafka, for both client libraries: /readyz stays 503 until
 * the group has assigned the member its partitions, then 200; a pause longer
 * than the session timeout keeps the group membership (no rebalance is
 * published) and loses nothing: after resume every message is handled.
 */
import diagnostics from 'node:diagnostics_channel';
import { createPipeline, type Logger } from '@sluice/core';
import { kafkaChannels, kafkaProducer } from '@sluice/producers/kafka';
import {
  createTestTopic,
  kafkaTestBrokers,
  type KafkaTestTopic,
} from '@sluice/producers/kafka/testing';
import { describeWithBroker } from '@sluice/producers/testing/vitest';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { startAdminServer } from '../src/index.ts';

const quiet: Logger = {
  error: () => undefined,
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
  child: () => quiet,
};

async function waitFor(what: string, check: () => Promise<boolean> | boolean): Promise<void> {
  for (let i = 0; i < 3000; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`gave up waiting for ${what}`);
}

const N = 400;
const SESSION_TIMEOUT = 6000;

for (const client of ['kafkajs', 'platformatic'] as const) {
  describeWithBroker('kafka', `readiness and pause against a real Kafka [${client}]`, () => {
    let topic: KafkaTestTopic;
    const cleanups: (() => Promise<unknown>)[] = [];
    beforeEach(async () => {
      topic = await createTestTopic({ partitions: 3 });
    });
    afterEach(async () => {
      for (const c of cleanups.splice(0).reverse()) await c();
      await topic.delete();
    });

    it('is not ready until partitions are assigned; a pause past the session timeout keeps the group and loses nothing', async () => {
      await topic.publish(N);
      const rebalances: { phase: string }[] = [];
      const listen = (e: unknown) => rebalances.push(e as { phase: string });
      diagnostics.subscribe(kafkaChannels.rebalance, listen);
      cleanups.push(() =>
        Promise.resolve(diagnostics.unsubscribe(kafkaChannels.rebalance, listen)),
      );
      const handled = new Map<string, number>();
      const pipeline = createPipeline({
        name: `kafka-readyz-${client}`,
        logger: quiet,
        producer: {
          module: kafkaProducer({
            client,
            brokers: kafkaTestBrokers(),
            topics: [topic.name],
            groupId: `${topic.name}-group`,
            fromBeginning: true,
            sessionTimeout: SESSION_TIMEOUT,
            heartbeatInterval: 500,
            rebalanceTimeout: 6000,
            commitInterval: 200,
            fetch: { maxWaitTimeInMs: 100 },
          }),
        },
        processors: { default: { concurrency: 2 } },
        handleMessage: (_k, m) => {
          const id = String(m.id);
          handled.set(id, (handled.get(id) ?? 0) + 1);
          return m;
        },
      });
      cleanups.push(() => pipeline.stop());
      const admin = await startAdminServer(pipeline, {
        port: 0,
        token: 'kafka-test-token-0123456789',
      });
      cleanups.push(() => admin.close());
      await pipeline.start();
      // Joining the group takes broker round trips: not ready yet.
      expect(pipeline.health()).toMatchObject({
        ready: false,
        reasons: [`producer instance 0 of kafka-readyz-${client} not connected to its broker`],
      });
      await waitFor('readyz 200', async () => (await fetch(`${admin.url}/readyz`)).status === 200);
      expect(rebalances.filter((r) => r.phase === 'assigned')).toHaveLength(1);

      await waitFor('some messages handled', () => handled.size > 0);
      const pause = await fetch(`${admin.url}/pause`, {
        method: 'POST',
        headers: { authorization: 'Bearer kafka-test-token-0123456789' },
      });
      expect(pause.status).toBe(200);
      const atPause = rebalances.length;
      // Longer than the session timeout: a member that stopped heartbeating would be evicted.
      await new Promise((r) => setTimeout(r, SESSION_TIMEOUT + 2000));
      expect(rebalances.length).toBe(atPause);
      expect((await fetch(`${admin.url}/readyz`)).status).toBe(200);

      pipeline.resume();
      await waitFor(`all ${N} handled`, () => handled.size === N);
      expect(rebalances.length).toBe(atPause);
      expect(await pipeline.stop()).toEqual({ unacked: 0, timedOut: false });
      expect(handled.size).toBe(N);
    }, 60_000);
  });
}
