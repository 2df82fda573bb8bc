/**
 * Is PostgreSQL there? For sink tests: `POSTGRES_URL` (default
 * `postgres://postgres@127.0.0.1:5432/test`) is probed with one query.
 * Like the broker tests, a suite skips (printing how to get one) when it is
 * not, and fails instead with `SLUICE_REQUIRE_BROKERS=1`.
 */
import { createPgPool } from './postgres/pg-client.ts';

/** Default of `POSTGRES_URL`: the loopback server with trust auth and database `test`. */
export const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';

type Env = Readonly<Record<string, string | undefined>>;

/** `POSTGRES_URL`, or its loopback default. */
export function postgresUrl(env: Env = process.env): string {
  const url = env['POSTGRES_URL']?.trim();
  return url === undefined || url === '' ? DEFAULT_POSTGRES_URL : url;
}

/** Whether tests run, skip or fail, and the line saying why. */
export type PostgresTestDecision =
  { readonly action: 'run' } | { readonly action: 'skip' | 'fail'; readonly message: string };

/** Probes PostgreSQL once (`SELECT 1`) and decides whether its tests run, skip or fail. */
export async function checkPostgres(env: Env = process.env): Promise<PostgresTestDecision> {
  const url = postgresUrl(env);
  const pool = createPgPool({ url, max: 1, connectionTimeout: 3000 });
  try {
    const connection = await pool.connect();
    await connection.query('SELECT 1');
    connection.release();
    return { action: 'run' };
  } catch (error) {
    const where = url.replace(/\/\/[^@/]*@/, '//');
    const problem = `no PostgreSQL answering at ${where} (${(error as Error).message})`;
    const hint = 'start one, or set POSTGRES_URL';
    return env['SLUICE_REQUIRE_BROKERS'] === '1'
      ? {
          action: 'fail',
          message: `[sluice] PostgreSQL tests need a server (SLUICE_REQUIRE_BROKERS=1), but there is ${problem} — ${hint}`,
        }
      : { action: 'skip', message: `[sluice] skipping PostgreSQL tests: ${problem} — ${hint}` };
  } finally {
    await pool.end();
  }
}

/** Runs one SQL statement on its own connection and returns its rows (test setup and checks). */
export async function queryPostgres<T>(text: string, url: string = postgresUrl()): Promise<T[]> {
  const pool = createPgPool({ url, max: 1, connectionTimeout: 5000 });
  try {
    const connection = await pool.connect();
    try {
      return ((await connection.query(text)) as { rows: T[] }).rows;
    } finally {
      connection.release();
    }
  } finally {
    await pool.end();
  }
}
