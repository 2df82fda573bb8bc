/**
 * Fault injection against Kafka (`npm run test:faults`): a consumer process
 * is drained while the broker is frozen. The broker is the suite's own
 * (scripts/brokers.sh with its own state and port). See
 * rabbitmq.faults.test.ts for the ledger and what is asserted. A Kafka ack
 * counts once its offset is committed, so what the frozen broker never
 * committed must be in the stop report. Every scenario runs on both client
 * libraries.
 */
import type { ChildProcess } from 'node:child_process';
import { KafkaJsClient } from '@sluice/producers/kafka';
import { createTestTopic, type KafkaTestTopic } from '@sluice/producers/kafka/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeFaults, orHung, startConsumer, tally, waitFor, requireBrokers } from './ledger.ts';
import {
  privateBrokerUnavailable,
  startPrivateKafka,
  type PrivateBroker,
} from './private-brokers.ts';

const unavailable = privateBrokerUnavailable();
const only = process.env['SLUICE_KAFKA_CLIENTS']?.split(',').map((c) => c.trim());
const kafkaClients = (['kafkajs', 'platformatic'] as const).filter(
  (c) => only === undefined || only.includes(c),
);

describeFaults('Kafka faults', unavailable, () => {
  let broker: PrivateBroker;
  let topic: KafkaTestTopic | undefined;
  const children: ChildProcess[] = [];

  beforeAll(() => {
    requireBrokers(unavailable);
    broker = startPrivateKafka();
  }, 180_000);
  afterAll(() => {
    for (const child of children) child.kill('SIGKILL');
    broker?.thaw();
    broker?.stop();
  }, 60_000);

  // Each scenario once per client library (SLUICE_KAFKA_CLIENTS picks some), on one broker.
  for (const client of kafkaClients) {
    const env = { LEDGER_KAFKA_CLIENT: client };

    it(`drains by its deadline with the broker frozen, reports truly, and loses nothing [${client}]`, async () => {
      const total = 2000;
      topic = await createTestTopic({ client: new KafkaJsClient({ brokers: [broker.address] }) });
      await topic.publish(total);
      const first = startConsumer('kafka', broker.address, topic.name, 2000, env);
      children.push(first.child);
      await waitFor('the first consumer to handle 300 messages', () => first.handled.length >= 300);

      broker.freeze();
      const frozenAt = performance.now();
      first.child.kill('SIGTERM');
      const code = await orHung(first.exited, 30_000);
      const exitMs = performance.now() - frozenAt;
      expect(code).not.toBe('hung');
      const report = first.report();
      expect(report).toBeDefined();
      broker.thaw();

      const second = startConsumer('kafka', broker.address, topic.name, 10_000, env);
      children.push(second.child);
      await waitFor(
        'every message to be handled',
        () => tally(total, first.handled, second.handled).lost.length === 0,
        120_000,
      );
      await waitFor('the second consumer to start', () => second.started());
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
      const { lost, duplicates } = tally(total, first.handled, second.handled);
      console.info(
        `kafka [${client}] frozen during drain: exit ${String(code)} after ${exitMs.toFixed(0)} ms (shutdownTimeout 2000), report ${JSON.stringify(report)}, lost ${lost.length}, duplicates ${duplicates}`,
      );
      expect(lost).toEqual([]);
      // A duplicate is a message handled whose offset the group never
      // committed: the first process must have counted it as un-acked.
      expect(duplicates).toBeLessThanOrEqual(report?.unacked ?? 0);
    }, 240_000);

    it(`loses nothing when a consumer is SIGKILLed mid-run: the group gives its partition to a second one [${client}]`, async () => {
      const total = 3000;
      topic = await createTestTopic({ client: new KafkaJsClient({ brokers: [broker.address] }) });
      await topic.publish(total);
      const first = startConsumer('kafka', broker.address, topic.name, 5000, env);
      children.push(first.child);
      await waitFor('the first consumer to handle 500 messages', () => first.handled.length >= 500);
      first.child.kill('SIGKILL');
      await first.exited;
      const killedAt = performance.now();
      const handledByFirst = first.handled.length;
      const committed = Number((await topic.committedOffsets(`${topic.name}-g`))[0]?.offset ?? 0);

      const second = startConsumer('kafka', broker.address, topic.name, 10_000, env);
      children.push(second.child);
      await waitFor(
        'the second consumer to handle a message',
        () => second.handled.length > 0,
        60_000,
      );
      const recoverMs = performance.now() - killedAt;
      await waitFor(
        'every message to be handled',
        () => tally(total, first.handled, second.handled).lost.length === 0,
        120_000,
      );
      await waitFor('the second consumer to start', () => second.started());
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
      const { lost, duplicates } = tally(total, first.handled, second.handled);
      console.info(
        `kafka [${client}] consumer SIGKILLed mid-run: the second consumer handled its first message ${recoverMs.toFixed(0)} ms after the kill (sessionTimeout 6 s), committed ${committed} of ${handledByFirst} handled, lost ${lost.length}, duplicates ${duplicates}`,
      );
      expect(lost).toEqual([]);
      // Exactly what the first handled past its last commit comes again, no more.
      expect(duplicates).toBeLessThanOrEqual(handledByFirst - committed);
      expect(second.report()).toEqual({ unacked: 0, timedOut: false });
    }, 240_000);

    it(`rides out a broker restart mid-run and loses nothing [${client}]`, async () => {
      const total = 3000;
      topic = await createTestTopic({ client: new KafkaJsClient({ brokers: [broker.address] }) });
      await topic.publish(total);
      const consumer = startConsumer('kafka', broker.address, topic.name, 10_000, env);
      children.push(consumer.child);
      await waitFor('the consumer to handle 500 messages', () => consumer.handled.length >= 500);
      const before = consumer.handled.length;
      const downAt = performance.now();
      await broker.restart();
      const backAt = performance.now();
      // Messages fetched before the outage may have been handled meanwhile:
      // count from the broker's return.
      const atBack = consumer.handled.length;
      await waitFor(
        'the consumer to handle again after the restart',
        () => consumer.handled.length > atBack + 100,
        120_000,
      );
      const recoverMs = performance.now() - backAt;
      await waitFor(
        'every message to be handled',
        () => tally(total, consumer.handled).lost.length === 0,
        120_000,
      );
      consumer.child.kill('SIGTERM');
      expect(await consumer.exited).toBe(0);
      const { lost, duplicates } = tally(total, consumer.handled);
      console.info(
        `kafka [${client}] restarted mid-run: down ${(backAt - downAt).toFixed(0)} ms, handling again ${recoverMs.toFixed(0)} ms after it was back, lost ${lost.length}, duplicates ${duplicates}`,
      );
      expect(lost).toEqual([]);
      // Only what was handled past the last commit before the outage can come again.
      expect(duplicates).toBeLessThanOrEqual(before);
      expect(consumer.report()).toEqual({ unacked: 0, timedOut: false });
    }, 300_000);
  }
});
