/**
 * `sluice run` with `producer.type: redis` and `producer.type: nats`,
 * against the real servers: a pipeline file consumes what was added, writes
 * it through a batcher to a file sink, drains on SIGTERM and leaves nothing
 * pending.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  createTestStream as createNatsStream,
  type NatsTestStream,
} from '@sluice/producers/nats/testing';
import {
  createTestStream as createRedisStream,
  type RedisTestStream,
} from '@sluice/producers/redis/testing';
import { describeWithBroker } from '@sluice/producers/testing/vitest';
import { afterEach, expect, it } from 'vitest';

const BIN = resolve(import.meta.dirname, '../dist/bin.js');
// Each test starts `sluice run` (a Node process) and waits for its drain: on a
// loaded machine that takes longer than vitest's default 5 s; 60 s is a guard
// against a hang, not a timing.

/**
 * Runs `sluice run <file>` in `dir`, sends SIGTERM once `out` holds
 * `expected` lines, and resolves with the exit code and the lines.
 */
async function runUntil(
  dir: string,
  yaml: string,
  out: string,
  expected: number,
): Promise<{ code: number | null; lines: unknown[]; stderr: string }> {
  writeFileSync(join(dir, 'pipeline.yaml'), yaml);
  let stderr = '';
  const code = await new Promise<number | null>((done, reject) => {
    const child = spawn(process.execPath, [BIN, 'run', 'pipeline.yaml'], {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const poll = setInterval(() => {
      if (existsSync(out) && readFileSync(out, 'utf8').trim().split('\n').length >= expected) {
        clearInterval(poll);
        child.kill('SIGTERM');
      }
    }, 20);
    child.once('error', reject);
    child.once('close', (c) => {
      clearInterval(poll);
      done(c);
    });
  });
  const lines = readFileSync(out, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as unknown);
  return { code, lines, stderr };
}

describeWithBroker('redis', 'sluice run, redis producer', () => {
  let stream: RedisTestStream | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'sluice-cli-redis-'));
  afterEach(async () => {
    await stream?.delete();
    rmSync(dir, { recursive: true, force: true });
  });

  it('consumes a stream from a pipeline file, drains on SIGTERM and leaves nothing pending', async () => {
    stream = await createRedisStream();
    const ids = await stream.add(300);
    const out = join(dir, 'out.jsonl');
    const yaml = [
      'name: from-redis',
      'producer:',
      '  type: redis',
      `  url: \${REDIS_URL:-${stream.url}}`,
      `  stream: ${stream.stream}`,
      `  group: ${stream.group}`,
      'batchers: { out: { batchSize: 50, batchTimeout: 100 } }',
      `sink: { type: file, path: ${out} }`,
      '',
    ].join('\n');
    const { code, lines, stderr } = await runUntil(dir, yaml, out, ids.length);
    expect(code, stderr).toBe(0);
    expect(lines).toHaveLength(ids.length);
    expect(new Set(lines.map((l) => (l as { n: string }).n))).toEqual(
      new Set(ids.map((_, i) => String(i))),
    );
    expect(await stream.pending()).toBe(0);
  }, 60_000);
});

describeWithBroker('nats', 'sluice run, nats producer', () => {
  let stream: NatsTestStream | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'sluice-cli-nats-'));
  afterEach(async () => {
    await stream?.delete();
    rmSync(dir, { recursive: true, force: true });
  });

  it('consumes a stream from a pipeline file, drains on SIGTERM and leaves nothing unacked', async () => {
    stream = await createNatsStream();
    await stream.publish(300);
    const out = join(dir, 'out.jsonl');
    const yaml = [
      'name: from-nats',
      'producer:',
      '  type: nats',
      `  servers: \${NATS_URL:-${stream.url}}`,
      `  stream: ${stream.stream}`,
      `  consumer: ${stream.consumer}`,
      '  decode: string',
      'batchers: { out: { batchSize: 50, batchTimeout: 100 } }',
      `sink: { type: file, path: ${out} }`,
      '',
    ].join('\n');
    const { code, lines, stderr } = await runUntil(dir, yaml, out, 300);
    expect(code, stderr).toBe(0);
    expect(lines).toHaveLength(300);
    expect(new Set(lines)).toEqual(new Set(Array.from({ length: 300 }, (_, i) => `message-${i}`)));
    expect(await stream.counts()).toMatchObject({ pending: 0, ackPending: 0 });
  }, 60_000);
});
