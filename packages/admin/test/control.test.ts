import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createPipeline,
  Message,
  type Acknowledger,
  type Logger,
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

/** A running pipeline fed by the test, with a rate limit and a batcher, and its admin server. */
async function setUp(rateLimiting = true) {
  let context: ProducerContext | undefined;
  const acked: unknown[] = [];
  const acknowledger: Acknowledger = {
    ack: (_ref, successful) => void acked.push(...successful.map((m) => m.data)),
  };
  const pipeline = createPipeline({
    name: 'control-test',
    logger: quiet,
    producer: {
      module: {
        init: (c) => {
          context = c;
          return { handleDemand: () => undefined };
        },
      },
      ...(rateLimiting && { rateLimiting: { allowedMessages: 100, interval: 1000 } }),
    },
    processors: { default: { concurrency: 2 } },
    batchers: { out: { batchSize: 10, batchTimeout: 10 } },
    handleMessage: (_k, m) => m.putBatcher('out'),
    handleBatch: (_b, messages) => messages,
  });
  cleanups.push(() => pipeline.stop());
  const admin = await startAdminServer(pipeline, { port: 0, token: TOKEN });
  cleanups.push(() => admin.close());
  await pipeline.start();
  const emit = (data: readonly number[]) =>
    (context as ProducerContext).emit(
      data.map((d) => new Message({ data: d, id: d, acknowledger, ackRef: 'r' })),
    );
  return { pipeline, admin, emit, acked };
}

async function post(admin: AdminServer, path: string, body: unknown, token = TOKEN) {
  const response = await fetch(`${admin.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function topology(admin: AdminServer) {
  const response = await fetch(`${admin.url}/topology`);
  return (await response.json()) as {
    processors: { concurrency: number }[];
    batchers: { concurrency: number }[];
  };
}

describe('POST /concurrency', () => {
  it('resizes a processor group or batcher, and /topology shows the new concurrency', async () => {
    const { admin, emit, acked } = await setUp();
    expect(await post(admin, '/concurrency', { name: 'default', concurrency: 5 })).toEqual({
      status: 200,
      body: {
        stage: 'control-test.processor.default',
        kind: 'processor',
        key: 'default',
        from: 2,
        to: 5,
      },
    });
    expect(
      await post(admin, '/concurrency', { name: 'control-test.batcher.out', concurrency: 3 }),
    ).toMatchObject({ status: 200, body: { kind: 'batcher', from: 1, to: 3 } });
    const t = await topology(admin);
    expect([t.processors[0]?.concurrency, t.batchers[0]?.concurrency]).toEqual([5, 3]);
    emit([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    // Batches that do not fill wait for batchTimeout (10 ms): wait for the acks, not for a number of turns.
    await vi.waitFor(() => expect(acked).toHaveLength(12), { timeout: 10_000 });
    expect((acked as number[]).sort((a, b) => a - b)).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
    ]);
  });

  it('answers 400 naming the field and value, 401 without the token', async () => {
    const { admin } = await setUp();
    expect(await post(admin, '/concurrency', { name: 'nope', concurrency: 2 })).toMatchObject({
      status: 400,
      body: {
        code: 'ERR_INVALID_OPTIONS',
        error: expect.stringMatching(/no processor or batcher named 'nope'/) as unknown,
      },
    });
    const zero = await post(admin, '/concurrency', { name: 'default', concurrency: 0 });
    expect(zero.status).toBe(400);
    expect(zero.body.error).toMatch(/resize 'default': concurrency.*0/);
    const text = await post(admin, '/concurrency', { name: 'default', concurrency: 'many' });
    expect(text.status).toBe(400);
    expect(text.body.error).toMatch(/concurrency.*'many'/);
    const missing = await post(admin, '/concurrency', { concurrency: 2 });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatch(/name: expected the name of a processor or batcher/);
    const extra = await post(admin, '/concurrency', { name: 'default', concurrency: 2, x: 1 });
    expect(extra.status).toBe(400);
    expect(extra.body.error).toMatch(/x/);
    const notJson = await post(admin, '/concurrency', '{name');
    expect(notJson.status).toBe(400);
    expect(notJson.body.error).toMatch(/^POST \/concurrency: request body is not JSON/);
    expect(
      (await post(admin, '/concurrency', { name: 'default', concurrency: 2 }, 'x'.repeat(20)))
        .status,
    ).toBe(401);
    expect((await topology(admin)).processors[0]?.concurrency).toBe(2);
  });
});

describe('POST /rate-limit', () => {
  it('changes the producer rate limit, and answers with the limit in force', async () => {
    const { admin, pipeline } = await setUp();
    expect(
      await post(admin, '/rate-limit', { allowedMessages: 5, interval: 200, reset: true }),
    ).toEqual({ status: 200, body: { rateLimiting: { allowedMessages: 5, interval: 200 } } });
    expect(pipeline.getRateLimiting()).toEqual({ allowedMessages: 5, interval: 200 });
  });

  it('answers 400 naming the field and value, 409 when the pipeline has no rate limit', async () => {
    const { admin } = await setUp();
    const bad = await post(admin, '/rate-limit', { allowedMessages: -1 });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/allowedMessages.*-1/);
    const unknown = await post(admin, '/rate-limit', { allowed: 5 });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatch(/allowed/);
    const none = await setUp(false);
    expect(await post(none.admin, '/rate-limit', { allowedMessages: 5 })).toEqual({
      status: 409,
      body: {
        code: 'ERR_PIPELINE_STATE',
        error: 'pipeline control-test was defined without producer.rateLimiting',
      },
    });
  });
});

describe('/stats stages', () => {
  it('lists every stage with its concurrency, handled, failed, in flight and batch fill', async () => {
    const { admin, emit, acked } = await setUp();
    emit([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
    await vi.waitFor(() => expect(acked).toHaveLength(20), { timeout: 10_000 });
    const stats = (await (await fetch(`${admin.url}/stats`)).json()) as { stages: unknown[] };
    expect(stats.stages).toEqual([
      {
        name: 'control-test.producer',
        kind: 'producer',
        concurrency: 1,
        handled: 20,
        failed: 0,
        inFlight: 0,
      },
      {
        name: 'control-test.processor.default',
        kind: 'processor',
        concurrency: 2,
        handled: 20,
        failed: 0,
        inFlight: 0,
      },
      {
        name: 'control-test.batcher.out',
        kind: 'batcher',
        concurrency: 1,
        handled: 20,
        failed: 0,
        inFlight: 0,
        // Two full batches, unless the 10 ms batchTimeout closed one early.
        batches: expect.any(Number) as unknown,
        batchFill: expect.any(Number) as unknown,
        batchSize: 10,
      },
    ]);
    const batcher = stats.stages[2] as { batches: number; batchFill: number };
    expect(batcher.batches).toBeGreaterThanOrEqual(2);
    expect(batcher.batchFill).toBeCloseTo(20 / 10 / batcher.batches);
  });
});
