/**
 * The SQL the PostgreSQL sink sends: a multi-row INSERT with its
 * ON CONFLICT clause. Identifiers are always quoted; values are always
 * parameters.
 */
import type { ResolvedPostgresSinkOptions } from './options.ts';

/** `name` as a quoted identifier (a `"` inside doubled). */
export const quote = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/** `schema.table` or `table`, quoted. */
export const quoteTable = (table: string): string => table.split('.').map(quote).join('.');

/** `INSERT INTO t (cols) VALUES ($1,…),(…) [ON CONFLICT …]` for `rows` rows. */
export function insertSql(options: ResolvedPostgresSinkOptions, rows: number): string {
  const columns = Object.keys(options.columns);
  const width = columns.length;
  const tuples: string[] = [];
  for (let r = 0; r < rows; r++) {
    const params = columns.map((_, c) => `$${r * width + c + 1}`);
    tuples.push(`(${params.join(',')})`);
  }
  return `INSERT INTO ${quoteTable(options.table)} (${columns.map(quote).join(',')}) VALUES ${tuples.join(',')}${conflictClause(options.onConflict)}`;
}

function conflictClause(onConflict: ResolvedPostgresSinkOptions['onConflict']): string {
  if (onConflict === 'error') return '';
  if (onConflict === 'ignore') return ' ON CONFLICT DO NOTHING';
  const set = onConflict.update.map((c) => `${quote(c)} = EXCLUDED.${quote(c)}`).join(', ');
  return ` ON CONFLICT (${onConflict.target.map(quote).join(',')}) DO UPDATE SET ${set}`;
}
