/**
 * The docs' option tables are generated from the option schemas
 * (`npm run docs:options`): a table that says something else fails here.
 * A doc without a table's markers is skipped (not every doc has them yet).
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { optionRows, optionTable } from '../src/docs/option-table.ts';
import { OPTION_DOCS, updateOptionDocs, withTable } from '../src/docs/options-docs.ts';

const ROOT = resolve(import.meta.dirname, '../../..');

describe('the option tables in the docs', () => {
  it('match the schemas', () => {
    const { stale } = updateOptionDocs(ROOT, { write: false });
    expect(stale, `stale option tables: run \`npm run docs:options\` and commit the docs`).toEqual(
      [],
    );
  });

  it('cover the producers, core, the CLI and the Prometheus exporter', () => {
    expect(OPTION_DOCS.map((d) => d.name)).toEqual([
      'sqs',
      'kafka',
      'rabbitmq',
      'redis',
      'nats',
      'otel',
      'postgres-sink',
      'http-sink',
      'kafka-sink',
      'sqs-sink',
      'rabbitmq-sink',
      'pipeline',
      'processor',
      'batcher',
      'producer',
      'generator',
      'file',
      'stdin',
      'prometheus-exporter',
      'prometheus-server',
    ]);
  });
});

describe('optionTable', () => {
  const schema = z
    .object({
      url: z.string().min(1).meta({ description: 'Where | to connect.' }),
      mode: z.enum(['a', 'b']).default('a').meta({ description: 'The mode.' }),
      retry: z
        .object({ attempts: z.int().positive().max(20).default(3).meta({ description: 'Tries.' }) })
        .optional()
        .meta({ description: 'Retries.' }),
      tags: z.array(z.object({ key: z.string().meta({ description: 'A key.' }) })).optional(),
      extra: z.record(z.string(), z.number()).optional(),
    })
    .strict();

  it('has a row per option, nested ones dotted, with type, default and description', () => {
    expect(optionTable(optionRows(schema))).toBe(
      [
        '| option | type | default | description |',
        '|---|---|---|---|',
        '| `url` | non-empty string | required | Where \\| to connect. |',
        '| `mode` | `"a"` \\| `"b"` | `"a"` | The mode. |',
        '| `retry` | object |  | Retries. |',
        '| `retry.attempts` | integer 1–20 | `3` | Tries. |',
        '| `tags` | object[] |  |  |',
        '| `tags[].key` | string | required | A key. |',
        '| `extra` | map of number |  |  |',
      ].join('\n'),
    );
  });

  it('stays at the top level when shallow', () => {
    expect(optionRows(schema, { shallow: true }).map((r) => r.path)).toEqual([
      'url',
      'mode',
      'retry',
      'tags',
      'extra',
    ]);
  });

  it('replaces only what is between a table’s markers, and skips a doc without them', () => {
    const entry = { name: 'x', doc: 'x.md', schema: z.object({ a: z.string() }) };
    const doc = 'intro\n<!-- options:x:start -->\nold table\n<!-- options:x:end -->\noutro\n';
    const next = withTable(doc, entry);
    expect(next).toBe(
      'intro\n<!-- options:x:start -->\n\n| option | type | default | description |\n|---|---|---|---|\n| `a` | string | required |  |\n\n<!-- options:x:end -->\noutro\n',
    );
    expect(withTable(next!, entry)).toBe(next);
    expect(withTable('no markers here', entry)).toBeUndefined();
  });
});
