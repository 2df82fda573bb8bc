/**
 * The JSON Schema editors use (`sluice schema`, committed as
 * packages/cli/schema/pipeline.schema.json): up to date, describing every
 * option, accepting `${VAR}` where the CLI does, and accepting the examples.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import {
  acceptReferences,
  configJsonSchema,
  configJsonSchemaText,
} from '../src/config/json-schema.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const COMMITTED = resolve(ROOT, 'packages/cli/schema/pipeline.schema.json');

type Node = Record<string, unknown>;
const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Every property path (`producer(sqs).retryBackoff.initial`,
 * `processors.*.concurrency`, `tests[].expect.failed`) whose schema has no
 * description.
 */
function undescribed(root: Node): string[] {
  const defs = (root['$defs'] ?? {}) as Record<string, Node>;
  const found = new Set<string>();
  const seen = new Set<Node>();
  const visit = (raw: unknown, path: string): void => {
    if (!isNode(raw)) return;
    const ref = raw['$ref'];
    const node = typeof ref === 'string' ? { ...defs[ref.replace('#/$defs/', '')], ...raw } : raw;
    if (seen.has(node)) return;
    seen.add(node);
    for (const [key, child] of Object.entries((node['properties'] ?? {}) as Record<string, Node>)) {
      const target =
        typeof child['$ref'] === 'string'
          ? { ...defs[child['$ref'].replace('#/$defs/', '')], ...child }
          : child;
      if (typeof target['description'] !== 'string' || target['description'] === '') {
        found.add(`${path}${key}`);
      }
      visit(target, `${path}${key}.`);
    }
    for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
      const members = node[key];
      if (!Array.isArray(members)) continue;
      for (const m of members as Node[]) {
        const type = (m['properties'] as Record<string, Node> | undefined)?.['type']?.['const'];
        // Name a producer or sink variant by its type: `producer(sqs).queueUrl`.
        visit(m, typeof type === 'string' ? `${path.replace(/\.$/, '')}(${type}).` : path);
      }
    }
    if (isNode(node['additionalProperties'])) visit(node['additionalProperties'], `${path}*.`);
    if (isNode(node['items'])) visit(node['items'], `${path.replace(/\.$/, '')}[].`);
  };
  visit(root, '');
  return [...found].sort();
}

const validator = (): ReturnType<Ajv2020['compile']> =>
  new Ajv2020({ allErrors: true, strict: false }).compile(configJsonSchema() as Node);

describe('the pipeline JSON Schema', () => {
  it('is committed as sluice schema prints it now', () => {
    const committed = readFileSync(COMMITTED, 'utf8');
    expect(
      committed === configJsonSchemaText(),
      'packages/cli/schema/pipeline.schema.json is stale: run `npm run schema` and commit it',
    ).toBe(true);
  });

  it('describes every option', () => {
    expect(
      undescribed(configJsonSchema() as Node),
      'these options have no description: give each a .meta({ description }) in its zod schema, then run `npm run schema`',
    ).toEqual([]);
  });

  it.each(['examples/config-driven/pipeline.yaml'])('accepts %s', (example) => {
    const validate = validator();
    const ok = validate(parse(readFileSync(resolve(ROOT, example), 'utf8')));
    expect(validate.errors ?? [], example).toEqual([]);
    expect(ok).toBe(true);
  });

  it('accepts the tests of examples/config-driven/pipeline.tests.yaml', () => {
    const schema = configJsonSchema() as Node;
    const tests = (schema['properties'] as Record<string, Node>)['tests'];
    const validate = new Ajv2020({ allErrors: true, strict: false }).compile({
      ...schema,
      properties: { tests },
      required: ['tests'],
    });
    const file = resolve(ROOT, 'examples/config-driven/pipeline.tests.yaml');
    const ok = validate(parse(readFileSync(file, 'utf8')));
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('takes a ${VAR} wherever a number, a boolean or an enum goes, as the CLI does', () => {
    const validate = validator();
    const file = (producer: Node): Node => ({ name: 'p', producer });
    expect(validate(file({ type: 'generator', count: '${N}', rate: '${RATE:-10}' }))).toBe(true);
    expect(validate(file({ type: 'file', path: 'in.txt', format: '${FORMAT:-jsonl}' }))).toBe(true);
    expect(
      validate(
        file({ type: 'sqs', queueUrl: 'https://${HOST}/1/q', extendVisibility: '${EXTEND}' }),
      ),
    ).toBe(true);
    // Still typed: a plain string is not a number, and the type picks the producer.
    expect(validate(file({ type: 'generator', count: 'many' }))).toBe(false);
    expect(validate(file({ type: 'generator', count: 'n=${N}' }))).toBe(false);
    expect(validate(file({ type: 'file', path: 'in.txt', format: 'csv' }))).toBe(false);
    expect(validate(file({ type: '${TYPE}' }))).toBe(false);
  });

  it('keeps descriptions and defaults on the wrapper of a typed value', () => {
    expect(
      acceptReferences({
        type: 'object',
        properties: { n: { type: 'integer', minimum: 0, default: 1, description: 'how many' } },
      }),
    ).toMatchObject({
      properties: {
        n: {
          default: 1,
          description: 'how many',
          anyOf: [{ type: 'integer', minimum: 0 }, { type: 'string' }],
        },
      },
    });
  });
});
