/**
 * Fault injection against SQS (ElasticMQ, `npm run test:faults`): a
 * consumer process is drained while the endpoint is frozen. The endpoint is
 * the suite's own (scripts/brokers.sh with its own state and port), so
 * freezing it disturbs no other test. See rabbitmq.faults.test.ts for the
 * ledger and what is asserted.
 */
import type { ChildProcess } from 'node:child_process';
import { AwsSqsClient, sqsClientConfigFromEnv } from '@sluice/producers/sqs';
import { createTestQueue, type SqsTestQueue } from '@sluice/testing/sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orHung, startConsumer, tally, waitFor } from './ledger.ts';
import {
  privateBrokerUnavailable,
  startPrivateElasticMq,
  type PrivateBroker,
} from './private-brokers.ts';

const unavailable = privateBrokerUnavailable();
const required = process.env['SLUICE_REQUIRE_BROKERS'] === '1';
if (unavailable !== undefined && !required) {
  console.warn(`skipping the SQS fault tests: ${unavailable}`);
}

describe.skipIf(unavailable !== undefined && !required)('SQS faults', () => {
  let broker: PrivateBroker;
  let client: AwsSqsClient;
  let queue: SqsTestQueue | undefined;
  const children: ChildProcess[] = [];

  beforeAll(() => {
    if (unavailable !== undefined) throw new Error(`cannot run the fault tests: ${unavailable}`);
    broker = startPrivateElasticMq();
    client = new AwsSqsClient(sqsClientConfigFromEnv({ SQS_ENDPOINT: broker.address }));
  }, 120_000);
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    broker?.thaw();
    await queue?.delete().catch(() => undefined);
    broker?.stop();
  }, 60_000);

  it('drains by its deadline with the endpoint frozen, reports truly, and loses nothing', async () => {
    const total = 400;
    queue = await createTestQueue({ client, attributes: { VisibilityTimeout: '3' } });
    await queue.publish(total);
    const env = { SQS_ENDPOINT: broker.address };
    const first = startConsumer('sqs', queue.url, queue.name, 2000, env);
    children.push(first.child);
    await waitFor('the first consumer to handle 100 messages', () => first.handled.length >= 100);

    broker.freeze();
    const frozenAt = performance.now();
    first.child.kill('SIGTERM');
    const code = await orHung(first.exited, 20_000);
    const exitMs = performance.now() - frozenAt;
    expect(code).not.toBe('hung');
    const report = first.report();
    expect(report).toBeDefined();
    broker.thaw();

    const second = startConsumer('sqs', queue.url, queue.name, 5000, env);
    children.push(second.child);
    await waitFor('every message to be handled', () => {
      return tally(total, first.handled, second.handled).lost.length === 0;
    });
    await waitFor('the second consumer to start', () => second.started());
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    const { lost, duplicates } = tally(total, first.handled, second.handled);
    console.info(
      `sqs frozen during drain: exit ${String(code)} after ${exitMs.toFixed(0)} ms (shutdownTimeout 2000), report ${JSON.stringify(report)}, lost ${lost.length}, duplicates ${duplicates}`,
    );
    expect(lost).toEqual([]);
    // A duplicate is a message handled whose delete the endpoint never
    // took: the first process must have counted it as un-acked.
    expect(duplicates).toBeLessThanOrEqual(report?.unacked ?? 0);
  }, 120_000);
});
