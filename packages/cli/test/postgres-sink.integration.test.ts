/**
 * `sluice run` with `batchers.<name>.sink: { type: postgres }` and no
 * handler module (queue-to-table with no code), against the real
 * PostgreSQL (POSTGRES_URL, default the loopback one with database `test`).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { postgresUrl, queryPostgres } from '@sluice/sinks/testing';
import { describeWithPostgres } from '@sluice/sinks/testing/vitest';
import { afterAll, beforeAll, expect, it } from 'vitest';

const BIN = resolve(import.meta.dirname, '../dist/bin.js');

function sluice(args: string[], cwd: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((done, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, SLUICE_LOG_LEVEL: 'info' },
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('close', (code) => done({ code, stderr }));
  });
}

const sql = <T>(text: string): Promise<T[]> => queryPostgres<T>(text);

describeWithPostgres('sluice run, postgres batcher sink', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-cli-pg-'));
  const table = `sluice_cli_${process.pid}_${Date.now()}`;
  beforeAll(() => sql(`CREATE TABLE ${table} (n int PRIMARY KEY CHECK (n <> 250), doc jsonb)`));
  afterAll(async () => {
    await sql(`DROP TABLE IF EXISTS ${table}`);
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs generator → postgres with no handler module: each acked message is one row, the refused one fails alone', async () => {
    writeFileSync(
      join(dir, 'pg.yaml'),
      [
        'name: to-table',
        'producer: { type: generator, count: 500 }',
        'batchers:',
        '  db:',
        '    batchSize: 100',
        '    batchTimeout: 50',
        '    sink:',
        '      type: postgres',
        `      url: \${POSTGRES_URL:-${postgresUrl()}}`,
        `      table: ${table}`,
        '      columns: { n: n, doc: $ }',
        '',
      ].join('\n'),
    );
    const { code, stderr } = await sluice(['run', 'pg.yaml'], dir);
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(/acked 499, failed 1, un-acked 0/);
    const rows = await sql<{ count: string; min: number; max: number }>(
      `SELECT count(*), count(DISTINCT n) AS distinct, min(n), max(n) FROM ${table}`,
    );
    expect(rows[0]).toMatchObject({ count: '499', distinct: '499' });
    expect(await sql(`SELECT n FROM ${table} WHERE n = 250`)).toEqual([]);
  });

  it('sluice validate names a bad sink option with its path', async () => {
    writeFileSync(
      join(dir, 'bad.yaml'),
      [
        'name: bad',
        'producer: { type: generator, count: 1 }',
        'batchers:',
        '  db:',
        '    sink: { type: postgres, url: mysql://x, table: t, columns: { n: n }, onConflict: skip }',
        '',
      ].join('\n'),
    );
    const { code, stderr } = await sluice(['validate', 'bad.yaml'], dir);
    expect(code).toBe(2);
    expect(stderr).toMatch(/batchers\.db\.sink\.url: expected a postgres:\/\/ connection URL/);
    expect(stderr).toMatch(
      /batchers\.db\.sink\.onConflict: expected 'error', 'ignore' or \{ target/,
    );
  });
});
