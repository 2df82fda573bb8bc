/**
 * `sluice run --admin-port N`: the admin server of a running CLI pipeline
 * (an endless generator), over real HTTP, then a SIGTERM drain.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, expect, it } from 'vitest';

const BIN = resolve(import.meta.dirname, '../dist/bin.js');
const TOKEN = 'cli-admin-token-0123456789';

/** A port free right now (bound, read, released). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

let child: ChildProcess | undefined;
const dir = mkdtempSync(join(tmpdir(), 'sluice-cli-admin-'));
afterEach(() => {
  child?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

it('serves /readyz, /topology and /stats, and pauses and resumes over POST with SLUICE_ADMIN_TOKEN', async () => {
  writeFileSync(join(dir, 'handlers.mjs'), 'export const handleMessage = (_p, m) => m;\n');
  writeFileSync(
    join(dir, 'admin.yaml'),
    [
      'name: admin-run',
      "producer: { type: generator, count: 'endless' }",
      'processors: { default: { concurrency: 2 } }',
      'handlers: ./handlers.mjs',
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  let stderr = '';
  child = spawn(
    process.execPath,
    [BIN, 'run', join(dir, 'admin.yaml'), '--admin-port', String(port)],
    {
      env: { ...process.env, SLUICE_ADMIN_TOKEN: TOKEN },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child?.on('exit', (code) => r(code)));

  await until('/readyz 200', async () => (await fetch(`${base}/readyz`)).status === 200);
  expect(stderr).toContain(`admin server at ${base}`);
  const topology = (await (await fetch(`${base}/topology`)).json()) as { pipeline: string };
  expect(topology).toMatchObject({
    pipeline: 'admin-run',
    processors: [{ processorKey: 'default', concurrency: 2 }],
  });
  const stats = async () =>
    (await (await fetch(`${base}/stats`)).json()) as { successful: number; paused: boolean };
  await until('messages acked', async () => (await stats()).successful > 0);

  const post = (path: string) =>
    fetch(`${base}${path}`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
  expect((await post('/pause')).status).toBe(200);
  expect((await stats()).paused).toBe(true);
  expect((await post('/resume')).status).toBe(200);
  const after = (await stats()).successful;
  await until('acks rising after resume', async () => (await stats()).successful > after);

  child.kill('SIGTERM');
  expect(await exited).toBe(0);
  expect(stderr).toMatch(/admin-run: stopped by SIGTERM/);
});

it('rejects an --admin-port that is not a port number', async () => {
  const c = spawn(process.execPath, [BIN, 'run', 'x.yaml', '--admin-port', 'http'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((r) => c.on('exit', r));
  expect(code).toBe(2);
  expect(stderr).toContain(
    "sluice run: --admin-port: expected a port number (0 to 65535), got 'http'",
  );
});
