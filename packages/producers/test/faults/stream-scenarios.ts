/**
 * The fault scenarios that the Redis Streams and NATS JetStream producers
 * share (redis.faults.test.ts, nats.faults.test.ts): a consumer SIGKILLed
 * mid-run and a second one started, the server restarted mid-run, and a
 * SIGTERM drain with a batcher. Each runs against a private server (see
 * private-servers.ts) that the test starts itself, and checks the ledgers of
 * fixtures/ledger-consumer.js: nothing lost, every duplicate a redelivery,
 * and no more duplicates than the server held un-acked (in flight) when the
 * fault struck.
 *
 * Figures (recovery time, duplicates) are printed for the closing notes;
 * the only time bounds asserted are generous guards against a hang.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  describeFaults,
  firstAfter,
  orHung,
  requireBrokers,
  startConsumer,
  tally,
  waitFor,
  type Consumer,
} from './ledger.ts';
import {
  privateServerUnavailable,
  startPrivateServer,
  type PrivateServer,
} from './private-servers.ts';

/** One test's stream on the private server. */
export interface ScenarioStream {
  /** What the ledger fixture's `<queue>` argument is for this stream. */
  readonly name: string;
  /** Adds `message-<from>` … `message-<from+count-1>`. */
  add(from: number, count: number): Promise<void>;
  /**
   * What the server holds delivered and not acked: Redis's pending entries
   * list of the group, JetStream's ack-pending count of the consumer.
   */
  inFlight(): Promise<number>;
  /** Deletes it and closes its connections. */
  delete(): Promise<void>;
}

/** What a broker plugs into the scenarios. */
export interface StreamBroker {
  readonly kind: 'redis' | 'nats';
  /** A new stream (and group or durable consumer) on the server at `url`. */
  create(url: string): Promise<ScenarioStream>;
}

/** Registers the three scenarios for `broker`. */
export function streamFaultScenarios(broker: StreamBroker): void {
  const { kind } = broker;
  const unavailable = privateServerUnavailable(kind);

  describeFaults(`${kind} faults`, unavailable, () => {
    let server: PrivateServer;
    const streams: ScenarioStream[] = [];
    const children: ChildProcess[] = [];
    const create = async () => {
      const s = await broker.create(server.url);
      streams.push(s);
      return s;
    };
    const consumer = (stream: ScenarioStream, env: Record<string, string> = {}): Consumer => {
      const c = startConsumer(kind, server.url, stream.name, 5000, env);
      children.push(c.child);
      return c;
    };

    beforeAll(async () => {
      requireBrokers(unavailable);
      server = await startPrivateServer(kind);
    }, 60_000);

    afterAll(async () => {
      for (const child of children) child.kill('SIGKILL');
      for (const s of streams) await s.delete().catch(() => undefined);
      await server?.stop();
    }, 60_000);

    it('loses nothing when a consumer is SIGKILLed mid-run: a second one gets what it held', async () => {
      const total = 600;
      const stream = await create();
      await stream.add(0, total);
      const first = consumer(stream);
      await waitFor('the first consumer to handle 100 messages', () => first.handled.length >= 100);
      first.child.kill('SIGKILL');
      const killedAt = performance.now();
      expect(await orHung(first.exited, 20_000)).toBeNull();
      // What the killed process held: read (or claimed) and not acked.
      const inFlight = await stream.inFlight();

      const second = consumer(stream);
      await waitFor(
        'every message to be handled',
        () => tally(total, first.handled, second.handled).lost.length === 0,
        60_000,
        () => progress(second),
      );
      await waitFor('the second consumer to start', () => second.started());
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
      const { lost, duplicates, duplicated } = tally(total, first.handled, second.handled);
      const recoverMs = (second.redelivered[0]?.at ?? Number.NaN) - killedAt;
      console.info(
        `${kind} consumer SIGKILLed mid-run: ${inFlight} in flight at the kill, the second consumer handled the first redelivery ${recoverMs.toFixed(0)} ms after it, ${second.redelivered.length} redelivered, lost ${lost.length}, duplicates ${duplicates}`,
      );
      expect(lost).toEqual([]);
      expect(inFlight).toBeGreaterThan(0);
      expect(second.redelivered.length).toBeGreaterThan(0);
      expect(second.redelivered.length).toBeLessThanOrEqual(inFlight);
      expect(duplicates).toBeLessThanOrEqual(inFlight);
      const redelivered = new Set(second.redelivered.map((r) => r.body));
      expect(duplicated.filter((body) => !redelivered.has(body))).toEqual([]);
      expect(second.report()).toEqual({ unacked: 0, timedOut: false });
      expect(await stream.inFlight()).toBe(0);
    }, 120_000);

    it('rides out a server restart mid-run: reconnects and loses nothing', async () => {
      // 600 before the restart, 200 more once the server is back: the run is
      // mid-way whatever the consumer finished while the server stopped.
      const before = 600;
      const after = 200;
      const total = before + after;
      const stream = await create();
      await stream.add(0, before);
      const c = consumer(stream);
      await waitFor('the consumer to handle 100 messages', () => c.handled.length >= 100);
      // What the server holds un-acked as it stops: only these can come
      // back (an ack the consumer sent as the server went down is among them).
      const inFlight = await stream.inFlight();
      const restartAt = performance.now();
      await server.restart();
      const backAt = performance.now();
      // The test's own connection reconnects too, and JetStream needs a
      // moment to load its store: its calls are retried until they answer.
      const inFlightBack = await retried(() => stream.inFlight());
      await retried(() => stream.add(before, after));
      await waitFor(
        'the consumer to handle again after the restart',
        () => firstAfter(c, backAt) !== undefined,
        60_000,
        () => progress(c),
      );
      const recoverMs = (firstAfter(c, backAt) ?? Number.NaN) - backAt;
      await waitFor(
        'every message to be handled',
        () => tally(total, c.handled).lost.length === 0,
        60_000,
        () => progress(c),
      );
      await waitFor('the consumer to start', () => c.started());
      c.child.kill('SIGTERM');
      expect(await c.exited).toBe(0);
      const { lost, duplicates, duplicated } = tally(total, c.handled);
      console.info(
        `${kind} restarted mid-run: down ${(backAt - restartAt).toFixed(0)} ms, ${inFlight} in flight as it stopped (${inFlightBack} once back), handling again ${recoverMs.toFixed(0)} ms after, ${c.warnings.length} warnings logged, ${c.redelivered.length} redelivered, lost ${lost.length}, duplicates ${duplicates}`,
      );
      expect(lost).toEqual([]);
      // The same process kept running: it reported the outage and reconnected.
      expect(c.warnings.length).toBeGreaterThan(0);
      expect(duplicates).toBeLessThanOrEqual(inFlight);
      const redelivered = new Set(c.redelivered.map((r) => r.body));
      expect(duplicated.filter((body) => !redelivered.has(body))).toEqual([]);
      expect(c.report()).toEqual({ unacked: 0, timedOut: false });
      expect(await stream.inFlight()).toBe(0);
    }, 180_000);

    it('drains on SIGTERM with a batcher: partial batches are output and acked, nothing is left in flight', async () => {
      const total = 600;
      const stream = await create();
      await stream.add(0, total);
      // Batches of 50 that wait up to 10 s: at the SIGTERM, partial batches
      // are waiting, and only the drain outputs them.
      const batched = { LEDGER_BATCH_SIZE: '50', LEDGER_BATCH_TIMEOUT: '10000' };
      const first = consumer(stream, batched);
      await waitFor('the first consumer to output 100 messages', () => first.handled.length >= 100);
      // Its SIGTERM handler is installed once start() has resolved, which
      // can be after the first batches are out.
      await waitFor('the first consumer to start', () => first.started());
      const atSignal = first.handled.length;
      first.child.kill('SIGTERM');
      expect(await orHung(first.exited, 20_000)).toBe(0);
      expect(first.report()).toEqual({ unacked: 0, timedOut: false });
      // Everything the first process read was output and acked.
      expect(await stream.inFlight()).toBe(0);
      const drained = first.handled.length - atSignal;

      const second = consumer(stream, batched);
      await waitFor(
        'every message to be handled',
        () => tally(total, first.handled, second.handled).lost.length === 0,
        60_000,
        () => progress(second),
      );
      await waitFor('the second consumer to start', () => second.started());
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
      const { lost, duplicates } = tally(total, first.handled, second.handled);
      console.info(
        `${kind} SIGTERM drain with a batcher: ${atSignal} output before the signal, ${drained} by the drain, lost ${lost.length}, duplicates ${duplicates}`,
      );
      expect(lost).toEqual([]);
      expect(duplicates).toBe(0);
      expect(second.redelivered).toEqual([]);
      expect(await stream.inFlight()).toBe(0);
    }, 120_000);
  });
}

/** `call`, again after a failure, for up to 30 s (the server is coming back). */
async function retried<T>(call: () => Promise<T>): Promise<T> {
  const until = Date.now() + 30_000;
  for (;;) {
    try {
      return await call();
    } catch (error) {
      if (Date.now() > until) throw error;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** What a consumer has done so far, for a timeout's message. */
function progress(consumer: Consumer): string {
  const warnings = consumer.warnings.slice(-5).join(' | ');
  return `handled ${consumer.handled.length}, exit ${String(consumer.child.exitCode)}, last warnings: ${warnings}`;
}
