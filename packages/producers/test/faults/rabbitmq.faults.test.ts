/**
 * Fault injection against RabbitMQ (`npm run test:faults`): a consumer
 * process is drained while its broker is frozen, and has its connections
 * closed mid-run. A ledger of the ids each process handled shows what was
 * lost (must be none) and duplicated (at most what the stop report says was
 * left un-acked, or what was in flight). The broker is a private node (see
 * private-rabbitmq.ts), so freezing it disturbs no other test.
 *
 * Figures (time to exit, duplicates) are printed for the closing notes;
 * the only time bound asserted is a generous guard against a hang.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createTestQueue, type RabbitMqTestQueue } from '@sluice/testing/rabbitmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  privateRabbitMqUnavailable,
  startPrivateRabbitMq,
  type PrivateRabbitMq,
} from './private-rabbitmq.ts';

const script = fileURLToPath(new URL('./fixtures/ledger-consumer.js', import.meta.url));
const unavailable = privateRabbitMqUnavailable();
const required = process.env['SLUICE_REQUIRE_BROKERS'] === '1';
if (unavailable !== undefined && !required) {
  console.warn(`skipping the RabbitMQ fault tests: ${unavailable}`);
}

/** One consumer process and what it wrote. */
interface Consumer {
  readonly child: ChildProcess;
  readonly handled: string[];
  /** The stop report, once it has exited after a drain. */
  report(): { unacked: number; timedOut: boolean } | undefined;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
}

function startConsumer(url: string, queue: string, shutdownTimeout: number): Consumer {
  const child = spawn(process.execPath, [script, url, queue, String(shutdownTimeout), '5'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const handled: string[] = [];
  let report: { unacked: number; timedOut: boolean } | undefined;
  let buffered = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      if (line.startsWith('h ')) handled.push(line.slice(2));
      else if (line.startsWith('report ')) report = JSON.parse(line.slice(7)) as typeof report;
    }
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  void exited.then((code) => {
    if (code !== 0 && stderr !== '') console.warn(`consumer stderr:\n${stderr}`);
  });
  return { child, handled, report: () => report, exited };
}

/** Waits for `test`, failing with `what` after `ms` (a guard against hangs, not a timing). */
async function waitFor(what: string, test: () => boolean, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  while (!test()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Lost and duplicated ids across the ledgers of every process. */
function tally(total: number, ...ledgers: string[][]): { lost: string[]; duplicates: number } {
  const seen = new Map<string, number>();
  for (const id of ledgers.flat()) seen.set(id, (seen.get(id) ?? 0) + 1);
  const lost: string[] = [];
  for (let i = 0; i < total; i++) if (!seen.has(String(i))) lost.push(String(i));
  let duplicates = 0;
  for (const n of seen.values()) duplicates += n - 1;
  return { lost, duplicates };
}

describe.skipIf(unavailable !== undefined && !required)('RabbitMQ faults', () => {
  let broker: PrivateRabbitMq;
  let queue: RabbitMqTestQueue;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    if (unavailable !== undefined) throw new Error(`cannot run the fault tests: ${unavailable}`);
    broker = await startPrivateRabbitMq();
  }, 90_000);
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
    const first = startConsumer(broker.url, queue.name, 2000);
    children.push(first.child);
    await waitFor('the first consumer to handle 100 messages', () => first.handled.length >= 100);

    broker.freeze();
    const frozenAt = performance.now();
    first.child.kill('SIGTERM');
    const code = await Promise.race([
      first.exited,
      new Promise<'hung'>((r) => setTimeout(() => r('hung'), 20_000)),
    ]);
    const exitMs = performance.now() - frozenAt;
    expect(code).not.toBe('hung');
    const report = first.report();
    expect(report).toBeDefined();
    broker.thaw();

    const second = startConsumer(broker.url, queue.name, 5000);
    children.push(second.child);
    await waitFor('every message to be handled once', () => {
      const { lost } = tally(total, first.handled, second.handled);
      return lost.length === 0;
    });
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
    const consumer = startConsumer(broker.url, queue.name, 5000);
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
    expect(duplicates).toBeLessThanOrEqual(50);
    expect(consumer.report()).toEqual({ unacked: 0, timedOut: false });
    // The close took the fixture's own connection too; the node is deleted after.
    await queue.delete().catch(() => undefined);
  }, 120_000);
});
