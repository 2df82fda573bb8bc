/**
 * No secret in what `sluice` prints (issue 15, item 8): `validate --print`,
 * `run`'s log and the problems of an invalid file, through the real binary
 * (built by `npm run build`).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = resolve(import.meta.dirname, '../dist/bin.js');
let dir = '';

beforeAll(() => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run npm run build first`);
  dir = mkdtempSync(join(tmpdir(), 'sluice-secrets-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sluice(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: dir,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => done({ code, stdout, stderr }));
  });
}

const file = (name: string, lines: string[]): string => {
  writeFileSync(join(dir, name), `${lines.join('\n')}\n`);
  return name;
};

const urls = [
  'context:',
  '  slash: amqp://app:p/w0rd@127.0.0.1:5672/vh',
  '  at: amqp://app:p@ss/w0rd@127.0.0.1:5672',
];

describe('sluice validate --print', () => {
  it('hides a URL password with an unencoded / or @ whole', async () => {
    file('urls.yaml', ['name: x', 'producer: { type: generator, count: 1 }', ...urls]);
    const { code, stdout } = await sluice(['validate', '--print', 'urls.yaml']);
    expect(code).toBe(0);
    expect(stdout).toContain('"slash": "amqp://app:[redacted]@127.0.0.1:5672/vh"');
    expect(stdout).toContain('"at": "amqp://app:[redacted]@127.0.0.1:5672"');
    expect(stdout).not.toMatch(/w0rd|p@ss/);
  });

  it('hides a value from the environment under any key, naming its variable', async () => {
    file('env.yaml', [
      'name: x',
      'producer: { type: generator, count: 1 }',
      'context:',
      '  upstream: ${API_TOKEN}',
      '  header: Bearer ${API_TOKEN}',
      '  retries: ${RETRIES}',
    ]);
    const { code, stdout } = await sluice(['validate', '--print', 'env.yaml'], {
      API_TOKEN: 'tok-live-8c1f2a',
      RETRIES: '3',
    });
    expect(code).toBe(0);
    expect(stdout).toContain('"upstream": "[redacted: from $API_TOKEN]"');
    expect(stdout).toContain('"header": "Bearer [redacted: from $API_TOKEN]"');
    expect(stdout).toContain('"retries": "[redacted: from $RETRIES]"');
    expect(stdout).not.toContain('tok-live');
  });
});

describe('sluice run', () => {
  it('logs the configuration without URL passwords or values from the environment', async () => {
    file('run.yaml', [
      'name: x',
      'producer: { type: generator, count: 1 }',
      ...urls,
      '  upstream: ${API_TOKEN}',
    ]);
    const { code, stderr } = await sluice(['run', 'run.yaml'], { API_TOKEN: 'tok-live-8c1f2a' });
    expect(code).toBe(0);
    expect(stderr).toContain('starting pipeline x');
    expect(stderr).toContain('[redacted: from $API_TOKEN]');
    expect(stderr).not.toMatch(/w0rd|p@ss|tok-live/);
  });
});

describe('the problems of an invalid file', () => {
  it('hide secrets in a wrong value, at any depth, and values from the environment', async () => {
    file('bad.yaml', [
      'name: x',
      'producer: { type: generator, count: "${COUNT}" }',
      'context:',
      '  - { password: hunter2, url: "amqp://app:p/w0rd@host" }',
    ]);
    const { code, stderr } = await sluice(['validate', 'bad.yaml'], { COUNT: 'tok-live-8c1f2a' });
    expect(code).toBe(2);
    expect(stderr).toContain(
      "producer.count: expected a non-negative integer, or 'endless', got [redacted: from $COUNT]",
    );
    expect(stderr).toContain(
      "context: expected record, got [ { password: '[redacted]', url: 'amqp://app:[redacted]@host' } ]",
    );
    expect(stderr).not.toMatch(/hunter2|w0rd|tok-live/);
  });

  it('hide a bad value under a secret key, and a bad URL', async () => {
    file('bad-producer.yaml', [
      'name: x',
      'producer:',
      '  type: rabbitmq',
      '  queue: q',
      '  url: http://app:p@ss/w0rd@host',
    ]);
    const { code, stderr } = await sluice(['validate', 'bad-producer.yaml']);
    expect(code).toBe(2);
    expect(stderr).toContain(
      "producer.url: expected an amqp:// or amqps:// URL, got 'http://app:[redacted]@host'",
    );
    expect(stderr).not.toMatch(/w0rd|p@ss/);
  });
});
