/**
 * The PostgreSQL sink's options: one zod schema, each option with its
 * default and description; the types are derived from it and
 * docs/sinks.md's table is generated from it.
 */
import { parseOptions } from '@sluice/core/options';
import { z } from 'zod';

const identifier = z
  .string({ error: 'expected an SQL identifier' })
  .min(1, { error: 'expected an SQL identifier' })
  .max(63, { error: 'expected an SQL identifier of at most 63 characters' });

const columnList = z
  .array(identifier, { error: 'expected an array of column names' })
  .min(1, { error: 'expected at least one column' })
  .readonly();

/** `onConflict`: fail the row, skip it, or update the listed columns of the existing row. */
export const onConflictSchema = z
  .union(
    [
      z.enum(['error', 'ignore']),
      z
        .object({
          target: columnList.meta({
            description: 'The columns of the unique index or primary key that conflicts.',
          }),
          update: columnList.meta({
            description: 'The columns set from the new row when it conflicts.',
          }),
        })
        .strict(),
    ],
    { error: "expected 'error', 'ignore' or { target: [columns], update: [columns] }" },
  )
  .default('error')
  .meta({
    description:
      "What a row that violates a unique constraint does: `'error'` fails its message, `'ignore'` skips it (the message is acked), `{ target, update }` updates the existing row's `update` columns (an upsert).",
  });

/** The PostgreSQL sink's options as written. */
export const postgresSinkOptionsObject = z
  .object({
    url: z
      .string({ error: 'expected a postgres:// connection URL' })
      .regex(/^postgres(ql)?:\/\//, { error: 'expected a postgres:// connection URL' })
      .meta({
        description:
          'The connection URL, e.g. `postgres://user@127.0.0.1:5432/db`; `pg` reads the usual `PG*` variables for what it leaves out.',
      }),
    table: z
      .string({ error: 'expected a table name' })
      .regex(/^[^.\s"]+(\.[^.\s"]+)?$/, { error: 'expected a table name, optionally schema.table' })
      .meta({ description: 'The table rows go to, optionally `schema.table`.' }),
    columns: z
      .record(identifier, z.string({ error: 'expected a field path such as `order.id` or `$`' }))
      .refine((c) => Object.keys(c).length > 0, { error: 'expected at least one column' })
      .meta({
        description:
          "Column name → where its value comes from in the message's data: a dotted path (`order.id`) or `$` for the whole data (stored as JSON). Bytes and string data are parsed as JSON first; objects and arrays are stored as JSON.",
      }),
    onConflict: onConflictSchema,
    concurrency: z
      .int({ error: 'expected an integer from 1 to 100' })
      .min(1, { error: 'expected an integer from 1 to 100' })
      .max(100, { error: 'expected an integer from 1 to 100' })
      .default(4)
      .meta({
        description:
          'Batches written at once, each on its own connection (the pool size); further batches wait, which slows the batchers.',
      }),
    connectionTimeout: z
      .number({ error: 'expected a positive number of ms' })
      .positive({ error: 'expected a positive number of ms' })
      .default(10_000)
      .meta({ description: 'How long to wait for a connection, in ms, before failing the batch.' }),
  })
  .strict();

/** The options {@link postgresSink} takes. */
export type PostgresSinkOptions = z.input<typeof postgresSinkOptionsObject>;
/** The options after defaults. */
export type ResolvedPostgresSinkOptions = z.output<typeof postgresSinkOptionsObject>;

/** Parses the options, throwing an `InvalidOptionsError` naming each bad one. */
export function parsePostgresSinkOptions(input: unknown): ResolvedPostgresSinkOptions {
  return parseOptions(postgresSinkOptionsObject, input, 'postgres sink options');
}
