/**
 * An option schema as a markdown table (option, type, default,
 * description), read from its JSON Schema: the same descriptions and
 * defaults editors show, so the docs cannot say something else.
 */
import { z } from 'zod';

type Node = Record<string, unknown>;

/** One documented option. */
export interface OptionRow {
  /** Dotted path: `retry.backoff.initial`, `bindings[].exchange`. */
  readonly path: string;
  readonly type: string;
  /** The default as code, `required`, or '' (none). */
  readonly default: string;
  readonly description: string;
}

/** How deep a table goes. */
export interface TableOptions {
  /** Top-level keys only, without the keys of nested objects. */
  readonly shallow?: boolean;
}

/** Limits this large say nothing a reader needs (the safe integers, Node's longest timer). */
const NOISE = 2_147_483_647;

const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The rows of `schema`'s options, in declaration order, nested objects flattened. */
export function optionRows(schema: z.ZodType, options: TableOptions = {}): OptionRow[] {
  const root = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Node;
  const defs = (root['$defs'] ?? {}) as Record<string, Node>;
  const deref = (node: Node): Node => {
    const ref = node['$ref'];
    if (typeof ref !== 'string') return node;
    const target = defs[ref.replace('#/$defs/', '')];
    return target === undefined ? node : { ...deref(target), ...node, $ref: undefined };
  };

  const typeOf = (raw: Node): string => {
    const node = deref(raw);
    const union = (node['anyOf'] ?? node['oneOf']) as Node[] | undefined;
    if (union !== undefined) return [...new Set(union.map(typeOf))].join(' | ');
    if ('const' in node) return `\`${JSON.stringify(node['const'])}\``;
    if (Array.isArray(node['enum'])) {
      return node['enum'].map((v) => `\`${JSON.stringify(v)}\``).join(' | ');
    }
    const type = node['type'];
    if (Array.isArray(type)) return type.join(' | ');
    switch (type) {
      case 'integer':
      case 'number':
        return `${type === 'integer' ? 'integer' : 'number'}${range(node, type === 'integer')}`;
      case 'string':
        return node['minLength'] === 1 ? 'non-empty string' : 'string';
      case 'array': {
        const items = isNode(node['items']) ? typeOf(node['items']) : 'any';
        return /[ |]/.test(items) ? `list of (${items})` : `${items}[]`;
      }
      case 'object':
        return isNode(node['additionalProperties']) && node['properties'] === undefined
          ? `map of ${typeOf(node['additionalProperties'])}`
          : 'object';
      case undefined:
        return 'any';
      default:
        return String(type);
    }
  };

  const rows: OptionRow[] = [];
  const walk = (raw: Node, prefix: string): void => {
    const node = deref(raw);
    const properties = (node['properties'] ?? {}) as Record<string, Node>;
    const required = new Set((node['required'] ?? []) as string[]);
    for (const [key, rawChild] of Object.entries(properties)) {
      const child = deref(rawChild);
      const path = `${prefix}${key}`;
      rows.push({
        path,
        type: typeOf(child),
        default:
          child['default'] !== undefined
            ? `\`${JSON.stringify(child['default'])}\``
            : required.has(key)
              ? 'required'
              : '',
        description: typeof child['description'] === 'string' ? child['description'] : '',
      });
      if (options.shallow === true) continue;
      if (isNode(child['properties'])) walk(child, `${path}.`);
      const items = isNode(child['items']) ? deref(child['items']) : undefined;
      if (items !== undefined && isNode(items['properties'])) walk(items, `${path}[].`);
    }
  };
  walk(root, '');
  return rows;
}

/** ` ≥ 1`, ` 1–10`, ` > 0`: the bounds of a number, when they matter. */
function range(node: Node, integer: boolean): string {
  const num = (k: string): number | undefined =>
    typeof node[k] === 'number' && Math.abs(node[k]) < NOISE ? node[k] : undefined;
  let min = num('minimum');
  const exclusiveMin = num('exclusiveMinimum');
  if (integer && exclusiveMin !== undefined) min = exclusiveMin + 1;
  const max = num('maximum');
  if (min !== undefined && max !== undefined) return ` ${min}–${max}`;
  if (min !== undefined) return ` ≥ ${min}`;
  if (exclusiveMin !== undefined) return ` > ${exclusiveMin}`;
  if (max !== undefined) return ` ≤ ${max}`;
  return '';
}

/** A table cell: one line, pipes escaped. */
const cell = (text: string): string => text.replace(/\s*\n\s*/g, ' ').replaceAll('|', '\\|');

/** The rows as a markdown table. */
export function optionTable(rows: readonly OptionRow[]): string {
  return [
    '| option | type | default | description |',
    '|---|---|---|---|',
    ...rows.map(
      (r) => `| \`${r.path}\` | ${cell(r.type)} | ${cell(r.default)} | ${cell(r.description)} |`,
    ),
  ].join('\n');
}
