/**
 * Fault injection against Kafka (`npm run test:faults`): a consumer process
 * is drained while the broker is frozen. The broker is the suite's own
 * (scripts/brokers.sh with its own state and port). See
 * rabbitmq.faults.test.ts for the ledger and what is asserted. A Kafka ack
 * counts once its offset is committed, so what the frozen broker never
 * committed must be in the stop report.
 */
import type { ChildProcess } from 'node:child_process';
import { KafkaJsClient } from '@sluice/producers/kafka';
import { createTestTopic, type KafkaTestTopic } from '@sluice/testing/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orHung, startConsumer, tally, waitFor } from './ledger.ts';
import {
  privateBrokerUnavailable,
  startPrivateKafka,
  type PrivateBroker,
} from './private-brokers.ts';

const unavailable = privateBrokerUnavailable();
const required = process.env['SLUICE_REQUIRE_BROKERS'] === '1';
if (unavailable !== undefined && !required) {
  console.warn(`skipping the Kafka fault tests: ${unavailable}`);
}

describe.skipIf(unavailable !== undefined && !required)('Kafka faults', () => {
  let broker: PrivateBroker;
  let topic: KafkaTestTopic | undefined;
  const children: ChildProcess[] = [];

  beforeAll(() => {
    if (unavailable !== undefined) throw new Error(`cannot run the fault tests: ${unavailable}`);
    broker = startPrivateKafka();
  }, 180_000);
  afterAll(() => {
    for (const child of children) child.kill('SIGKILL');
    broker?.thaw();
    broker?.stop();
  }, 60_000);

  it('drains by its deadline with the broker frozen, reports truly, and loses nothing', async () => {
    const total = 2000;
    topic = await createTestTopic({ client: new KafkaJsClient({ brokers: [broker.address] }) });
    await topic.publish(total);
    const first = startConsumer('kafka', broker.address, topic.name, 2000);
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

    const second = startConsumer('kafka', broker.address, topic.name, 10_000);
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
      `kafka frozen during drain: exit ${String(code)} after ${exitMs.toFixed(0)} ms (shutdownTimeout 2000), report ${JSON.stringify(report)}, lost ${lost.length}, duplicates ${duplicates}`,
    );
    expect(lost).toEqual([]);
    // A duplicate is a message handled whose offset the group never
    // committed: the first process must have counted it as un-acked.
    expect(duplicates).toBeLessThanOrEqual(report?.unacked ?? 0);
  }, 240_000);
});
