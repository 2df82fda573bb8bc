/**
 * /readyz against a real SQS (ElasticMQ) reached through a loopback proxy
 * the test can take down: 200 while receives succeed, 503 naming the
 * producer once they fail, 200 again after the endpoint comes back;
 * nothing lost.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { createPipeline, type Logger } from '@sluice/core';
import { sqsProducer } from '@sluice/producers/sqs';
import {
  createTestQueue,
  sqsClientConfigFromEnv,
  type SqsTestQueue,
} from '@sluice/producers/sqs/testing';
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

/** A TCP proxy to `target` on a port of its own that can be taken down and brought back. */
class Outage {
  readonly #target: { host: string; port: number };
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;
  port = 0;
  constructor(target: { host: string; port: number }) {
    this.#target = target;
  }
  async up(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.#target);
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on('error', () => s.destroy()).on('close', () => {
          this.#sockets.delete(s);
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as { port: number }).port;
    this.#server = server;
  }
  /** Refuses new connections and cuts the open ones. */
  async down(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

async function readyz(admin: AdminServer) {
  const response = await fetch(`${admin.url}/readyz`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function waitFor(what: string, check: () => Promise<boolean> | boolean): Promise<void> {
  for (let i = 0; i < 3000; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`gave up waiting for ${what}`);
}

describeWithBroker('sqs', '/readyz against a real SQS endpoint', () => {
  let queue: SqsTestQueue;
  const cleanups: (() => Promise<unknown>)[] = [];
  beforeEach(async () => {
    // A long poll cut by the outage may still take messages at the endpoint:
    // they come back after the visibility timeout, kept short here.
    queue = await createTestQueue({ attributes: { VisibilityTimeout: '2' } });
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
    await queue.delete();
  });

  it('is 503 while receives fail and 200 once the endpoint is back; nothing lost', async () => {
    const config = sqsClientConfigFromEnv();
    const endpoint = new URL(config.endpoint as string);
    const outage = new Outage({ host: endpoint.hostname, port: Number(endpoint.port) });
    await outage.up();
    cleanups.push(() => outage.down());
    const proxied = `http://127.0.0.1:${outage.port}`;
    const handled = new Set<string>();
    const pipeline = createPipeline({
      name: 'readyz-sqs',
      logger: quiet,
      producer: {
        module: sqsProducer({
          queueUrl: queue.url.replace(endpoint.origin, proxied),
          client: { ...config, endpoint: proxied, maxAttempts: 1 },
          waitTimeSeconds: 1,
          receiveInterval: 0,
        }),
      },
      processors: { default: { concurrency: 2 } },
      handleMessage: (_k, m) => {
        handled.add(String(m.data));
        return m;
      },
    });
    cleanups.push(() => pipeline.stop());
    const admin = await startAdminServer(pipeline, { port: 0 });
    cleanups.push(() => admin.close());
    await pipeline.start();
    await queue.publish(20);
    await waitFor('the first 20 handled', () => handled.size === 20);
    expect((await readyz(admin)).status).toBe(200);

    await outage.down();
    await waitFor('readyz 503', async () => (await readyz(admin)).status === 503);
    expect((await readyz(admin)).body.reasons).toEqual([
      'producer instance 0 of readyz-sqs not connected to its broker',
    ]);
    await queue.publish(20, { body: (i) => `later-${i}` });
    await outage.up();
    await waitFor('readyz 200 again', async () => (await readyz(admin)).status === 200);
    await waitFor('all 40 handled', () => handled.size === 40);
    expect(await pipeline.stop()).toEqual({ unacked: 0, timedOut: false });
    expect(await queue.drain()).toEqual([]);
  }, 60_000);
});
