/**
 * /readyz against a real RabbitMQ: not ready before start, ready once the
 * producer consumes, not ready while its connection is down (cut by a
 * loopback proxy) and ready again once it reconnects, not ready while
 * draining; nothing lost.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { createPipeline, type Logger, type Pipeline } from '@sluice/core';
import { rabbitmqProducer } from '@sluice/producers/rabbitmq';
import { createTestQueue, type RabbitMqTestQueue } from '@sluice/producers/rabbitmq/testing';
import { describeWithBroker } from '@sluice/producers/testing/vitest';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { startAdminServer, type AdminServer } from '../src/index.ts';

const quiet: Logger = {
  error: () => undefined,
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
  child: () => quiet,
};

/** A loopback TCP proxy to RabbitMQ; `cut()` destroys every connection through it. */
async function proxy(port: number): Promise<{ port: number; cut(): void; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect({ host: '127.0.0.1', port });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => s.destroy()).on('close', () => {
        sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const cut = () => {
    for (const s of sockets) s.destroy();
    sockets.clear();
  };
  return {
    port: (server.address() as { port: number }).port,
    cut,
    close: async () => {
      cut();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function readyz(admin: AdminServer) {
  const response = await fetch(`${admin.url}/readyz`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function waitFor(what: string, check: () => Promise<boolean> | boolean): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`gave up waiting for ${what}`);
}

const N = 300;

describeWithBroker('rabbitmq', '/readyz against a real RabbitMQ', () => {
  let queue: RabbitMqTestQueue;
  const cleanups: (() => Promise<unknown>)[] = [];
  beforeEach(async () => {
    queue = await createTestQueue();
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
    await queue.delete();
  });

  it('is 503 before start, after a lost connection and while draining; 200 when consuming', async () => {
    const url = new URL(process.env['AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672');
    const cutter = await proxy(Number(url.port || 5672));
    cleanups.push(() => cutter.close());
    url.host = `127.0.0.1:${cutter.port}`;
    const handled = new Map<unknown, number>();
    const gate: { hold?: Promise<void> } = {};
    const pipeline: Pipeline = createPipeline({
      name: 'readyz-rabbitmq',
      logger: quiet,
      producer: {
        module: rabbitmqProducer({
          url: url.toString(),
          queue: queue.name,
          backoff: { initial: 20, max: 100 },
        }),
      },
      processors: { default: { concurrency: 2 } },
      handleMessage: async (_k, m) => {
        if (gate.hold !== undefined) await gate.hold;
        const body = String(m.data);
        handled.set(body, (handled.get(body) ?? 0) + 1);
        return m;
      },
    });
    cleanups.push(() => pipeline.stop());
    const admin = await startAdminServer(pipeline, { port: 0 });
    cleanups.push(() => admin.close());

    expect(await readyz(admin)).toMatchObject({ status: 503, body: { state: 'created' } });
    await pipeline.start();
    expect(await readyz(admin)).toEqual({
      status: 200,
      body: { ready: true, state: 'running', paused: false, reasons: [] },
    });

    await queue.publish(N / 2, { body: (i) => `first-${i}` });
    await waitFor('the first half acked', () => pipeline.stats().successful === N / 2);
    cutter.cut();
    await waitFor('readyz 503', async () => (await readyz(admin)).status === 503);
    const lost = await readyz(admin);
    expect(lost.body).toMatchObject({ ready: false, state: 'running' });
    expect(lost.body.reasons).toEqual([
      'producer instance 0 of readyz-rabbitmq not connected to its broker',
    ]);
    await waitFor(
      'readyz 200 after reconnecting',
      async () => (await readyz(admin)).status === 200,
    );

    let release!: () => void;
    gate.hold = new Promise((r) => (release = r));
    await queue.publish(N / 2, { body: (i) => `second-${i}` });
    await waitFor('a message held', () => pipeline.stats().inFlight > 0);
    const stopping = pipeline.stop();
    expect(await readyz(admin)).toMatchObject({
      status: 503,
      body: { ready: false, state: 'stopping' },
    });
    release();
    expect(await stopping).toEqual({ unacked: 0, timedOut: false });
    // Nothing lost: every message was handled, or is still queued (the drain
    // does not fetch more). Acks whose frames the cut connection took are
    // delivered again (at-least-once), so a message may be handled twice.
    expect(handled.size + (await queue.messageCount())).toBe(N);
  }, 60_000);
});
