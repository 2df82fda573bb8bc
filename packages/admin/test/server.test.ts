import { afterEach, describe, expect, it } from 'vitest';
import {
  createPipeline,
  Message,
  type Acknowledger,
  type Logger,
  type Pipeline,
  type ProducerContext,
} from '@sluice/core';
import { startAdminServer, type AdminServer } from '../src/index.ts';

const TOKEN = 'test-token-0123456789';

const quiet: Logger = {
  error: () => undefined,
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
  child: () => quiet,
};

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A pipeline fed by the test (a push producer), acking into `acked`. */
function testPipeline(handle: (m: Message) => Promise<Message> | Message = (m) => m) {
  let context: ProducerContext | undefined;
  const acked: unknown[] = [];
  const acknowledger: Acknowledger = {
    ack: (_ref, successful) => void acked.push(...successful.map((m) => m.data)),
  };
  const pipeline = createPipeline({
    name: 'admin-test',
    logger: quiet,
    stallTimeout: 100,
    shutdownTimeout: 5000,
    producer: {
      module: {
        init: (c) => {
          context = c;
          return { handleDemand: () => undefined };
        },
      },
    },
    processors: { default: { concurrency: 2 } },
    batchers: { out: { batchSize: 10, batchTimeout: 10 } },
    handleMessage: async (_k, m) => (await handle(m)).putBatcher('out'),
    handleBatch: (_b, messages) => messages,
  });
  const emit = (data: readonly number[]) =>
    (context as ProducerContext).emit(
      data.map((d) => new Message({ data: d, id: d, acknowledger, ackRef: 'r' })),
    );
  cleanups.push(() => pipeline.stop());
  return { pipeline, emit, acked };
}

async function serve(pipeline: Pipeline, token?: string): Promise<AdminServer> {
  const admin = await startAdminServer(pipeline, { port: 0, ...(token && { token }) });
  cleanups.push(() => admin.close());
  return admin;
}

async function get(admin: AdminServer, path: string) {
  const response = await fetch(`${admin.url}${path}`);
  const text = await response.text();
  return { status: response.status, type: response.headers.get('content-type'), text };
}

async function post(admin: AdminServer, path: string, token?: string) {
  const response = await fetch(`${admin.url}${path}`, {
    method: 'POST',
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const json = (r: { text: string }) => JSON.parse(r.text) as Record<string, unknown>;

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`gave up waiting for ${what}`);
}

describe('startAdminServer over HTTP', () => {
  it('/readyz is 503 before start and while draining, 200 while running, each with its reason', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { pipeline, emit } = testPipeline(async (m) => {
      await gate;
      return m;
    });
    const admin = await serve(pipeline);
    const before = await get(admin, '/readyz');
    expect(before.status).toBe(503);
    expect(json(before)).toMatchObject({ ready: false, state: 'created' });
    expect(String((json(before).reasons as string[])[0])).toMatch(/is created, not running/);

    await pipeline.start();
    const running = await get(admin, '/readyz');
    expect([running.status, json(running)]).toEqual([
      200,
      { ready: true, state: 'running', paused: false, reasons: [] },
    ]);

    emit([1]);
    const stopping = pipeline.stop();
    const draining = await get(admin, '/readyz');
    expect(draining.status).toBe(503);
    expect(json(draining)).toMatchObject({ ready: false, state: 'stopping' });
    release();
    await stopping;
  });

  it('/livez turns 503 naming the stuck processor when a handler hangs past stallTimeout', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { pipeline, emit, acked } = testPipeline(async (m) => {
      if (m.data === 7) await gate;
      return m;
    });
    const admin = await serve(pipeline);
    await pipeline.start();
    expect((await get(admin, '/livez')).status).toBe(200);
    emit([7]);
    await until('livez 503', async () => (await get(admin, '/livez')).status === 503);
    const body = json(await get(admin, '/livez'));
    expect(body.live).toBe(false);
    expect(body.stuck).toEqual([
      {
        stage: expect.stringMatching(/^admin-test\.processor\.default\.\d$/) as unknown,
        holding: 1,
        stalledMs: expect.any(Number) as unknown,
      },
    ]);
    expect(String((body.reasons as string[])[0])).toMatch(
      /admin-test\.processor\.default\.\d has held 1 message\(s\) without progress/,
    );
    release();
    await until('livez 200', async () => (await get(admin, '/livez')).status === 200);
    await until('the message acked', () => Promise.resolve(acked.length === 1));
  });

  it('/stats and /topology answer JSON about the pipeline', async () => {
    const { pipeline, emit, acked } = testPipeline();
    const admin = await serve(pipeline);
    await pipeline.start();
    emit([1, 2, 3]);
    await until('3 acked', () => Promise.resolve(acked.length === 3));
    const stats = await get(admin, '/stats');
    expect(stats.type).toBe('application/json');
    expect(json(stats)).toMatchObject({
      pipeline: 'admin-test',
      state: 'running',
      paused: false,
      ready: true,
      live: true,
      received: 3,
      successful: 3,
      failed: 0,
      inFlight: 0,
      backlog: [],
    });
    expect(json(await get(admin, '/topology'))).toEqual({
      pipeline: 'admin-test',
      producers: [{ name: 'admin-test.producer', concurrency: 1 }],
      processors: [
        { name: 'admin-test.processor.default', processorKey: 'default', concurrency: 2 },
      ],
      batchers: [
        {
          name: 'admin-test.batcher.out',
          batcherKey: 'out',
          concurrency: 1,
          batchSize: 10,
          batchTimeout: 10,
        },
      ],
    });
  });

  it('POST /pause and /resume need the bearer token; pause holds messages, resume acks them', async () => {
    const { pipeline, emit, acked } = testPipeline();
    const admin = await serve(pipeline, TOKEN);
    await pipeline.start();
    expect(await post(admin, '/pause')).toMatchObject({
      status: 401,
      body: { error: 'POST /pause needs the header Authorization: Bearer <token>' },
    });
    expect((await post(admin, '/pause', 'wrong-token-0123456789')).status).toBe(401);
    expect(pipeline.paused).toBe(false);
    expect(await post(admin, '/pause', TOKEN)).toEqual({
      status: 200,
      body: { paused: true, changed: true },
    });
    expect(json(await get(admin, '/readyz'))).toMatchObject({ ready: true, paused: true });
    emit([1, 2, 3]);
    await new Promise((r) => setTimeout(r, 50));
    expect(acked).toEqual([]);
    expect(await post(admin, '/resume', TOKEN)).toEqual({
      status: 200,
      body: { paused: false, changed: true },
    });
    await until('3 acked', () => Promise.resolve(acked.length === 3));
    expect(acked.sort()).toEqual([1, 2, 3]);
  });

  it('POST routes answer 403 on a server started without a token, 409 when the pipeline is not running', async () => {
    const { pipeline } = testPipeline();
    const open = await serve(pipeline);
    expect(await post(open, '/pause')).toEqual({
      status: 403,
      body: { error: 'POST /pause is disabled: start the admin server with a token' },
    });
    const guarded = await serve(pipeline, TOKEN);
    expect(await post(guarded, '/pause', TOKEN)).toEqual({
      status: 409,
      body: {
        code: 'ERR_PIPELINE_STATE',
        error: 'pause: pipeline admin-test is created, not running',
      },
    });
  });

  it('serves /metrics from @sluice/prometheus, with the pipeline counters', async () => {
    const { pipeline, emit, acked } = testPipeline();
    const admin = await serve(pipeline);
    await pipeline.start();
    emit([1, 2]);
    await until('2 acked', () => Promise.resolve(acked.length === 2));
    const metrics = await get(admin, '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.type).toMatch(/^text\/plain/);
    expect(metrics.text).toMatch(/^sluice_\w+\{[^}]*pipeline="admin-test"/m);
  });

  it('answers 404 listing the routes, and 405 for a known route with the wrong method', async () => {
    const { pipeline } = testPipeline();
    const admin = await serve(pipeline);
    const missing = await get(admin, '/nope');
    expect(missing.status).toBe(404);
    expect(json(missing)).toMatchObject({ error: 'not found: GET /nope' });
    expect(json(missing).routes).toContain('POST /pause');
    expect((await get(admin, '/pause')).status).toBe(405);
  });

  it('refuses a non-loopback host without a token, naming it', async () => {
    const { pipeline } = testPipeline();
    await expect(startAdminServer(pipeline, { port: 0, host: '0.0.0.0' })).rejects.toThrow(
      /token: a token is required to listen on 0\.0\.0\.0, which is not a loopback address/,
    );
    await expect(startAdminServer(pipeline, { port: 70000 })).rejects.toThrow(
      /port: expected a port number/,
    );
    const admin = await serve(pipeline, TOKEN);
    expect(admin.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('streams the stats as server-sent events on /events, and serves the page at /', async () => {
    const { pipeline, emit, acked } = testPipeline();
    const admin = await serve(pipeline);
    await pipeline.start();
    const page = await get(admin, '/');
    expect(page.type).toBe('text/html; charset=utf-8');
    expect(page.text).toContain("new EventSource('events')");
    const abort = new AbortController();
    const response = await fetch(`${admin.url}/events`, { signal: abort.signal });
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    const next = async () => {
      let text = '';
      while (!text.endsWith('\n\n')) text += decoder.decode((await reader.read()).value);
      return JSON.parse(text.replace(/^data: /, '')) as { successful: number; pipeline: string };
    };
    expect(await next()).toMatchObject({ pipeline: 'admin-test', successful: 0 });
    emit([1, 2, 3]);
    await until('3 acked', () => Promise.resolve(acked.length === 3));
    // The next tick (every second) carries the new count.
    expect(await next()).toMatchObject({ successful: 3 });
    abort.abort();
  });
});
