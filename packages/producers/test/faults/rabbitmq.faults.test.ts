/**
 * Fault injection against RabbitMQ (`npm run test:faults`): a consumer
 * process is drained while its broker is frozen, has its connections
 * closed mid-run, is SIGKILLed mid-run (a second one finishes), and rides
 * out a restart of the broker (`stop_app`, `start_app`). A ledger of the ids each process handled shows what was
 * lost (must be none) and duplicated (at most what the stop report says was
 * left un-acked, or what was in flight). The broker is a private node (see
 * private-rabbitmq.ts), so freezing it disturbs no other test.
 *
 * Figures (time to exit, duplicates) are printed for the closing notes;
 * the only time bound asserted is a generous guard against a hang.
 */
import type { ChildProcess } from 'node:child_process';
import { AmqplibClient } from '@sluice/producers/rabbitmq';
import {
  createTestQueue,
  publishTestMessages,
  type RabbitMqTestQueue,
} from '@sluice/producers/rabbitmq/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  describeFaults,
  firstAfter,
  type Consumer,
  orHung,
  startConsumer,
  tally,
  waitFor,
  requireBrokers,
} from './ledger.ts';
import {
  privateRabbitMqUnavailable,
  startPrivateRabbitMq,
  type PrivateRabbitMq,
} from './private-rabbitmq.ts';

const unavailable = privateRabbitMqUnavailable();

describeFaults('RabbitMQ faults', unavailable, () => {
  let broker: PrivateRabbitMq;
  let queue: RabbitMqTestQueue;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    requireBrokers(unavailable);
    broker = await startPrivateRabbitMq();
  }, 90_000);
  /** The ledger fixture's prefetch: the most deliveries one consumer holds un-acked. */
  const prefetch = 50;

  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    broker?.thaw();
    await queue?.delete().catch(() => undefined);
    broker?.stop();
  }, 60_000);

  it('drains by its deadline with the broker frozen, reports truly, and loses nothing', async () => {
    const total = 400;
    queue = await createTestQueue({ url: broker.url });
    await queue.publish(total);
    const first = startConsumer('rabbitmq', broker.url, queue.name, 2000);
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

    const second = startConsumer('rabbitmq', broker.url, queue.name, 5000);
    children.push(second.child);
    await waitFor('every message to be handled once', () => {
      const { lost } = tally(total, first.handled, second.handled);
      return lost.length === 0;
    });
    await waitFor('the second consumer to start', () => second.started());
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    const { lost, duplicates } = tally(total, first.handled, second.handled);
    console.info(
      `rabbitmq frozen during drain: exit ${String(code)} after ${exitMs.toFixed(0)} ms (shutdownTimeout 2000), report ${JSON.stringify(report)}, lost ${lost.length}, duplicates ${duplicates}`,
    );
    expect(lost).toEqual([]);
    // A duplicate is a message handled but whose ack the broker never took:
    // the first process must have counted it as un-acked.
    expect(duplicates).toBeLessThanOrEqual(report?.unacked ?? 0);
    expect(await queue.messageCount()).toBe(0);
    await queue.delete();
  }, 120_000);

  it('rides out closed connections mid-run and loses nothing', async () => {
    const total = 600;
    queue = await createTestQueue({ url: broker.url });
    await queue.publish(total);
    const consumer = startConsumer('rabbitmq', broker.url, queue.name, 5000);
    children.push(consumer.child);
    await waitFor('the consumer to handle 100 messages', () => consumer.handled.length >= 100);
    const closedAt = performance.now();
    const before = consumer.handled.length;
    broker.closeConnections();
    await waitFor(
      'the consumer to handle again after the close',
      () => consumer.handled.length > before + 50,
    );
    const recoverMs = performance.now() - closedAt;
    await waitFor(
      'every message to be handled',
      () => tally(total, consumer.handled).lost.length === 0,
    );
    consumer.child.kill('SIGTERM');
    expect(await consumer.exited).toBe(0);
    const { lost, duplicates } = tally(total, consumer.handled);
    console.info(
      `rabbitmq connections closed mid-run: handling again after ${recoverMs.toFixed(0)} ms, lost ${lost.length}, duplicates ${duplicates}`,
    );
    expect(lost).toEqual([]);
    // Only deliveries in flight when the connection closed come back: at most the prefetch.
    expect(duplicates).toBeLessThanOrEqual(prefetch);
    expect(consumer.report()).toEqual({ unacked: 0, timedOut: false });
    // The close took the fixture's own connection too; the node is deleted after.
    await queue.delete().catch(() => undefined);
  }, 120_000);

  it('loses nothing when a consumer is SIGKILLed mid-run: a second one gets its deliveries back', async () => {
    const total = 600;
    queue = await createTestQueue({ url: broker.url });
    await queue.publish(total);
    const first = startConsumer('rabbitmq', broker.url, queue.name, 5000);
    children.push(first.child);
    await waitFor('the first consumer to handle 100 messages', () => first.handled.length >= 100);
    first.child.kill('SIGKILL');
    const killedAt = performance.now();
    expect(await orHung(first.exited, 20_000)).toBeNull();

    const second = startConsumer('rabbitmq', broker.url, queue.name, 5000);
    children.push(second.child);
    await waitFor('every message to be handled', () => {
      return tally(total, first.handled, second.handled).lost.length === 0;
    });
    await waitFor('the second consumer to start', () => second.started());
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    const { lost, duplicates, duplicated } = tally(total, first.handled, second.handled);
    const recoverMs = (second.redelivered[0]?.at ?? Number.NaN) - killedAt;
    console.info(
      `rabbitmq consumer SIGKILLed mid-run: the second consumer handled the first redelivery ${recoverMs.toFixed(0)} ms after the kill, ${second.redelivered.length} redelivered (prefetch ${prefetch}), lost ${lost.length}, duplicates ${duplicates}`,
    );
    expect(lost).toEqual([]);
    // The broker hands back what the killed process held un-acked: at most
    // the prefetch, each flagged as redelivered; a duplicate is one of them
    // that the killed process had handled but not yet acked.
    expect(second.redelivered.length).toBeGreaterThan(0);
    expect(second.redelivered.length).toBeLessThanOrEqual(prefetch);
    expect(duplicates).toBeLessThanOrEqual(prefetch);
    const redelivered = new Set(second.redelivered.map((r) => r.body));
    expect(duplicated.filter((body) => !redelivered.has(body))).toEqual([]);
    expect(second.report()).toEqual({ unacked: 0, timedOut: false });
    expect(await queue.messageCount()).toBe(0);
    await queue.delete();
  }, 120_000);

  it('rides out a broker restart mid-run: reconnects and loses nothing', async () => {
    // 600 before the restart, 200 more once the broker is back: the run is
    // mid-way whatever the consumer got through while the broker stopped
    // (a fast consumer can ack all 600 before stop_app takes effect, and then
    // nothing would be left to show that it reconnected).
    const before = 600;
    const after = 200;
    const total = before + after;
    queue = await createTestQueue({ url: broker.url });
    await queue.publish(before);
    const consumer = startConsumer('rabbitmq', broker.url, queue.name, 5000);
    children.push(consumer.child);
    await waitFor('the consumer to handle 100 messages', () => consumer.handled.length >= 100);
    const restartAt = performance.now();
    // stop_app closes every connection and refuses new ones until start_app.
    await broker.restart();
    const backAt = performance.now();
    await publishAfterRestart(broker.url, queue.name, before, after);
    await waitFor(
      'the consumer to handle again after the restart',
      () => firstAfter(consumer, backAt) !== undefined,
      60_000,
      () => describeConsumer(consumer),
    );
    const recoverMs = (firstAfter(consumer, backAt) ?? Number.NaN) - backAt;
    await waitFor(
      'every message to be handled',
      () => tally(total, consumer.handled).lost.length === 0,
      60_000,
      () => describeConsumer(consumer),
    );
    consumer.child.kill('SIGTERM');
    expect(await consumer.exited).toBe(0);
    const { lost, duplicates, duplicated } = tally(total, consumer.handled);
    console.info(
      `rabbitmq restarted mid-run: down ${(backAt - restartAt).toFixed(0)} ms, handling again ${recoverMs.toFixed(0)} ms after it was back, ${consumer.warnings.length} warnings logged, ${consumer.redelivered.length} redelivered, lost ${lost.length}, duplicates ${duplicates}`,
    );
    expect(lost).toEqual([]);
    // The same process kept running: it reported the outage and reconnected.
    expect(consumer.warnings.length).toBeGreaterThan(0);
    // Only deliveries in flight when the broker went down come back: at most the prefetch.
    expect(duplicates).toBeLessThanOrEqual(prefetch);
    const redelivered = new Set(consumer.redelivered.map((r) => r.body));
    expect(duplicated.filter((body) => !redelivered.has(body))).toEqual([]);
    expect(consumer.report()).toEqual({ unacked: 0, timedOut: false });
    // The restart took the fixture's own connection too; the node is deleted after.
    await queue.delete().catch(() => undefined);
  }, 180_000);
});

/** Publishes `message-<from>` … on a connection of its own (the restart closed the fixture's). */
async function publishAfterRestart(
  url: string,
  queue: string,
  from: number,
  count: number,
): Promise<void> {
  const connection = await new AmqplibClient().connect(url, { connectionName: 'sluice-test-late' });
  try {
    const channel = await connection.createChannel({ confirm: true });
    await publishTestMessages(channel, queue, count, { body: (i) => `message-${from + i}` });
    await channel.close();
  } finally {
    await connection.close();
  }
}

/** What a consumer has done so far, for a timeout's message. */
function describeConsumer(consumer: Consumer): string {
  const warnings = consumer.warnings.slice(-5).join(' | ');
  return `handled ${consumer.handled.length}, exit ${String(consumer.child.exitCode)}, last warnings: ${warnings}`;
}
