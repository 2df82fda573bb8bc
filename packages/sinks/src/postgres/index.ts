/**
 * The PostgreSQL sink: each batch is one transaction with a multi-row
 * INSERT. When the batch is refused (a constraint, a bad value), it is
 * rolled back and written again row by row inside savepoints, in one new
 * transaction, so only the rows refused fail their messages and every
 * other row lands exactly once. A batch whose connection or COMMIT fails
 * fails whole: nothing unconfirmed is acked.
 */
import type { Message } from '@sluice/core';
import { SinkError } from '../errors.ts';
import { jsonData, pick } from '../internal/data.ts';
import { limit } from '../internal/limit.ts';
import { failedWith, WRITTEN, type Sink, type SinkOutcome } from '../sink.ts';
import {
  parsePostgresSinkOptions,
  type PostgresSinkOptions,
  type ResolvedPostgresSinkOptions,
} from './options.ts';
import { createPgPool, type PgConnection, type PgPool } from './pg-client.ts';
import { insertSql, quote, quoteTable } from './sql.ts';

export {
  onConflictSchema,
  parsePostgresSinkOptions,
  postgresSinkOptionsObject,
  type PostgresSinkOptions,
  type ResolvedPostgresSinkOptions,
} from './options.ts';
export type { PgConnection, PgPool } from './pg-client.ts';

/** PostgreSQL accepts at most this many parameters in one statement. */
const MAX_PARAMETERS = 65_535;

/** What {@link postgresSink} may be given instead of creating its own pool (tests). */
export interface PostgresSinkDependencies {
  readonly pool?: PgPool;
}

/** A row to insert: its message's index in the batch and its values. */
interface Row {
  readonly index: number;
  readonly values: unknown[];
}

/**
 * A sink that inserts one row per message into `table`, each column's
 * value taken from the message's data as `columns` says.
 *
 * @example
 * ```ts
 * const orders = postgresSink({
 *   url: 'postgres://127.0.0.1:5432/shop',
 *   table: 'orders',
 *   columns: { id: 'id', total: 'amount.total', raw: '$' },
 *   onConflict: 'ignore',
 * });
 * // in createPipeline: handleBatch: sinkHandler(orders)
 * ```
 */
export function postgresSink(
  input: PostgresSinkOptions,
  dependencies: PostgresSinkDependencies = {},
): Sink {
  const options = parsePostgresSinkOptions(input);
  const name = `PostgreSQL table ${options.table}`;
  const pool =
    dependencies.pool ??
    createPgPool({
      url: options.url,
      max: options.concurrency,
      connectionTimeout: options.connectionTimeout,
    });
  const gate = limit(options.concurrency);
  const columns = Object.values(options.columns);
  const perStatement = Math.max(1, Math.floor(MAX_PARAMETERS / columns.length));

  const toRow = (message: Message): unknown[] => {
    const data = jsonData(message);
    return columns.map((path) => parameter(pick(data, path)));
  };

  const write = async (messages: readonly Message[]): Promise<SinkOutcome[]> => {
    const outcomes: SinkOutcome[] = new Array<SinkOutcome>(messages.length);
    const rows: Row[] = [];
    messages.forEach((message, index) => {
      try {
        rows.push({ index, values: toRow(message) });
      } catch (error) {
        outcomes[index] = failedWith(
          new SinkError('ERR_SINK_DATA', name, (error as Error).message, { cause: error }),
        );
      }
    });
    if (rows.length === 0) return outcomes;
    let connection: PgConnection;
    try {
      connection = await pool.connect();
    } catch (error) {
      throw unavailable(name, 'could not connect', error);
    }
    try {
      if (await insertAll(connection, options, rows, perStatement)) {
        for (const row of rows) outcomes[row.index] = WRITTEN;
      } else {
        await insertEach(connection, options, rows, outcomes, name);
      }
      connection.release();
    } catch (error) {
      connection.release(error as Error);
      throw unavailable(name, 'the batch was not committed', error);
    }
    return outcomes;
  };

  return {
    name,
    write: (messages) => gate.run(() => write(messages)),
    // The table and its columns exist: a SELECT of no rows.
    probe: async () => {
      const connection = await pool.connect();
      try {
        const list = Object.keys(options.columns).map(quote).join(',');
        await connection.query(`SELECT ${list} FROM ${quoteTable(options.table)} LIMIT 0`);
      } finally {
        connection.release();
      }
    },
    close: () => pool.end(),
  };
}

/**
 * All rows in one transaction: true once committed, false when refused
 * (rolled back). Throws when the connection fails (the rollback too).
 */
async function insertAll(
  connection: PgConnection,
  options: ResolvedPostgresSinkOptions,
  rows: readonly Row[],
  perStatement: number,
): Promise<boolean> {
  await connection.query('BEGIN');
  try {
    for (let from = 0; from < rows.length; from += perStatement) {
      const chunk = rows.slice(from, from + perStatement);
      await connection.query(
        insertSql(options, chunk.length),
        chunk.flatMap((r) => r.values),
      );
    }
    await connection.query('COMMIT');
    return true;
  } catch (error) {
    if (!isRefusal(error)) throw error;
    await connection.query('ROLLBACK');
    return false;
  }
}

/**
 * Each row under its own savepoint, in one transaction: a refused row is
 * rolled back to its savepoint and fails its message; the others commit
 * together. A failed COMMIT throws (every message then fails).
 */
async function insertEach(
  connection: PgConnection,
  options: ResolvedPostgresSinkOptions,
  rows: readonly Row[],
  outcomes: SinkOutcome[],
  name: string,
): Promise<void> {
  const sql = insertSql(options, 1);
  const written: number[] = [];
  await connection.query('BEGIN');
  try {
    for (const row of rows) {
      await connection.query('SAVEPOINT sluice_row');
      try {
        await connection.query(sql, row.values);
        await connection.query('RELEASE SAVEPOINT sluice_row');
        written.push(row.index);
      } catch (error) {
        if (!isRefusal(error)) throw error;
        await connection.query('ROLLBACK TO SAVEPOINT sluice_row');
        outcomes[row.index] = failedWith(refused(name, error));
      }
    }
    await connection.query('COMMIT');
  } catch (error) {
    await connection.query('ROLLBACK').catch(() => {});
    throw error;
  }
  for (const index of written) outcomes[index] = WRITTEN;
}

/**
 * A statement the server refused for what it contains (an SQLSTATE
 * error: a constraint, a bad value, an unknown column), as opposed to a
 * connection that failed, which has no SQLSTATE class of that kind.
 */
function isRefusal(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  // 08: connection exception; 57: operator intervention (shutdown); 53: resources.
  return typeof code === 'string' && code.length === 5 && !/^(08|57|53|58|XX)/.test(code);
}

function refused(name: string, error: unknown): SinkError {
  const { code, detail } = error as { code?: string; detail?: string };
  const more = [code !== undefined && `SQLSTATE ${code}`, detail].filter(Boolean).join('; ');
  return new SinkError(
    'ERR_SINK_REFUSED',
    name,
    `row refused: ${(error as Error).message}${more ? ` (${more})` : ''}`,
    { cause: error },
  );
}

function unavailable(name: string, what: string, error: unknown): SinkError {
  return new SinkError(
    'ERR_SINK_UNAVAILABLE',
    name,
    `${what}: ${(error as Error)?.message ?? String(error)}`,
    { cause: error },
  );
}

/** A value as a query parameter: objects and arrays as JSON text, undefined as NULL. */
function parameter(value: unknown): unknown {
  if (value === undefined) return null;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date || value instanceof Uint8Array) return value;
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return value;
}
