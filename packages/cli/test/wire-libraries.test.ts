/**
 * A broker's client library loads only when a pipeline of that broker is
 * built: the built `sluice`, run with kafkajs, @platformatic/kafka, amqplib, redis, the NATS
 * client, prom-client (and the AWS SDK)
 * made unresolvable, still prints its schema, checks files and runs
 * pipelines of other producers.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = resolve(import.meta.dirname, '../dist/bin.js');
const HIDE = resolve(import.meta.dirname, 'fixtures/hide-packages.js');
const ALL = [
  'kafkajs',
  '@platformatic/kafka',
  'amqplib',
  '@aws-sdk/client-sqs',
  'redis',
  '@nats-io/jetstream',
  '@nats-io/transport-node',
  'prom-client',
];
let dir = '';

beforeAll(() => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run npm run build first`);
  dir = mkdtempSync(join(tmpdir(), 'sluice-wire-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Result {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs node with `hide` unresolvable. */
function node(args: string[], hide: readonly string[]): Promise<Result> {
  return new Promise((done, reject) => {
    const child = spawn(process.execPath, ['--import', HIDE, ...args], {
      cwd: dir,
      env: { ...process.env, SLUICE_HIDE_PACKAGES: hide.join(','), SLUICE_LOG_LEVEL: 'silent' },
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

const file = (name: string, text: string): string => {
  writeFileSync(join(dir, name), text);
  return name;
};

describe('sluice without the wire libraries', () => {
  it('hides them for real (the check below would prove nothing otherwise)', async () => {
    const imported = await node(['--input-type=module', '-e', "await import('kafkajs')"], ALL);
    expect(imported.code).not.toBe(0);
    expect(imported.stderr).toContain('hidden');
    const required = await node(['-e', "require('amqplib')"], ALL);
    expect(required.code).not.toBe(0);
    expect(required.stderr).toContain('hidden');
  });

  it('prints the schema', async () => {
    const { code, stdout, stderr } = await node([BIN, 'schema'], ALL);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toHaveProperty('title', 'Sluice pipeline');
  });

  it('validates and runs a generator pipeline', async () => {
    const f = file(
      'generator.yaml',
      'name: g\nproducer: { type: generator, count: 5 }\nsink: { type: stdout }\n',
    );
    const validated = await node([BIN, 'validate', f], ALL);
    expect(validated.stderr).toBe('');
    expect(validated.code).toBe(0);
    const ran = await node([BIN, 'run', f], ALL);
    expect(ran.code).toBe(0);
    expect(ran.stdout.trim().split('\n')).toHaveLength(5);
  });

  it('validates an SQS pipeline without kafkajs or amqplib', async () => {
    const f = file(
      'sqs.yaml',
      'name: s\nproducer: { type: sqs, queueUrl: "http://127.0.0.1:9324/000000000000/orders" }\n',
    );
    const { code, stderr } = await node(
      [BIN, 'validate', '--no-handlers', f],
      ['kafkajs', '@platformatic/kafka', 'amqplib'],
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});
