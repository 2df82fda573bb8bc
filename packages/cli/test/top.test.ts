/**
 * `sluice top`: the real binary against a real admin server of a running
 * pipeline (in this process), and the model that turns /stats into the view.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPipeline, Message, silentLogger, type ProducerContext } from '@sluice/core';
import { startAdminServer } from '@sluice/admin';
import { TopModel, type AdminStats } from '../src/commands/top-view.ts';
import { renderView } from '../src/view/render.ts';

const BIN = resolve(import.meta.dirname, '../dist/bin.js');
beforeAll(() => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run npm run build first`);
});

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function sluice(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

/** A running pipeline with a batcher, fed `n` messages, and its admin server. */
async function served(n: number) {
  let context: ProducerContext | undefined;
  let acked = 0;
  const pipeline = createPipeline({
    name: 'top-test',
    logger: silentLogger,
    producer: {
      module: {
        init: (c) => {
          context = c;
          return { handleDemand: () => undefined };
        },
      },
    },
    processors: { default: { concurrency: 3 } },
    batchers: { out: { batchSize: 10, batchTimeout: 10 } },
    handleMessage: (_k, m) => m.putBatcher('out'),
    handleBatch: (_b, messages) => messages,
  });
  cleanups.push(() => pipeline.stop());
  const admin = await startAdminServer(pipeline, { port: 0 });
  cleanups.push(() => admin.close());
  await pipeline.start();
  const acknowledger = { ack: (_r: unknown, ok: readonly Message[]) => void (acked += ok.length) };
  const emit = (count: number) =>
    (context as ProducerContext).emit(
      Array.from({ length: count }, (_, i) => new Message({ data: i, acknowledger, ackRef: 0 })),
    );
  emit(n);
  for (let i = 0; i < 2000 && acked < n; i++) await new Promise(setImmediate);
  return { admin, pipeline, emit, acked: () => acked };
}

describe('sluice top', () => {
  it('--once prints the view of a pipeline served by an admin server', async () => {
    const { admin } = await served(30);
    const { code, stdout, stderr } = await sluice(['top', '--once', admin.url]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^top-test {2}\S+ {2}running$/m);
    expect(stdout).toMatch(/acked 30 {2}failed 0 {2}in flight 0/);
    expect(stdout).toMatch(/producers ×1/);
    expect(stdout).toMatch(/processor default ×3/);
    expect(stdout).toMatch(/batcher out ×1/);
  });

  it('refuses a bad URL with exit code 2, and names the server it cannot reach', async () => {
    const bad = await sluice(['top', 'not a url']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("sluice top: expected the admin server's URL");
    const none = await sluice(['top']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('sluice top: expected one admin server URL');
    const { admin } = await served(0);
    const url = admin.url;
    await admin.close();
    const gone = await sluice(['top', '--once', url]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain(`sluice top: cannot reach ${url}/stats: ECONNREFUSED`);
  });

  it('the model gives per-stage rates between reads, and shows a resize', async () => {
    const { admin, pipeline, emit, acked } = await served(20);
    const read = async () => (await (await fetch(`${admin.url}/stats`)).json()) as AdminStats;
    const model = new TopModel(0);
    model.view(await read(), 0);
    emit(40);
    for (let i = 0; i < 2000 && acked() < 60; i++) await new Promise(setImmediate);
    pipeline.resize('default', 5);
    const view = model.view(await read(), 2000);
    expect(view.acked).toBe(60);
    // 40 more messages acked in the 2 s between the two reads.
    expect(view.perSecond).toBe(20);
    const processor = view.stages.find((s) => s.kind === 'processor');
    expect(processor).toMatchObject({ name: 'default', concurrency: 5, perSecond: 20 });
    expect(renderView(view, { width: 100 })).toMatch(/processor default ×5/);
  });
});
