/**
 * The pipeline file's JSON Schema, for editors: `sluice schema` prints it
 * and `npm run schema` writes it to `packages/cli/schema/pipeline.schema.json`.
 *
 * It is generated from the zod schema (every description and default comes
 * from there), with one addition: a typed value (a number, a boolean, an
 * enum, a string with a pattern) may also be a `${VAR}` reference, which
 * the CLI resolves before validating (see interpolate.ts).
 */
import { z } from 'zod';
import { REFERENCE } from './interpolate.ts';
import { configSchema } from './schema.ts';

type JsonSchema = Record<string, unknown>;

/** A value that is exactly one reference: it takes the type of what it resolves to. */
const wholeReference: JsonSchema = {
  type: 'string',
  pattern: `^${REFERENCE}$`,
  description: 'An environment variable: ${NAME} or ${NAME:-default}.',
};

/** A string holding a reference somewhere: checked once the reference is resolved. */
const someReference: JsonSchema = {
  type: 'string',
  pattern: REFERENCE,
  description: 'A string with environment variables: ${NAME} or ${NAME:-default}.',
};

/** Keys that describe a value rather than constrain it: kept on the wrapper. */
const ANNOTATIONS = ['title', 'description', 'default', 'deprecated', 'examples'];

const isObject = (v: unknown): v is JsonSchema =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Which reference a node may also be, or undefined when a plain string already fits. */
function referenceFor(node: JsonSchema): JsonSchema | undefined {
  if ('const' in node) return undefined; // a discriminator (`type: sqs`) stays exact
  const types = Array.isArray(node['type']) ? (node['type'] as unknown[]) : [node['type']];
  if (types.some((t) => t === 'number' || t === 'integer' || t === 'boolean')) {
    return wholeReference;
  }
  if (types.includes('string') && ('enum' in node || 'pattern' in node || 'format' in node)) {
    return someReference;
  }
  return undefined;
}

/** Lets every typed leaf under `node` be a `${VAR}` too (a copy; the input is left alone). */
export function acceptReferences(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(acceptReferences);
  if (!isObject(node)) return node;
  const copy: JsonSchema = Object.fromEntries(
    Object.entries(node).map(([key, value]) => [
      key,
      // `properties` and `$defs` map names to schemas; `enum`, `const`,
      // `default` and `required` hold values, not schemas.
      key === 'properties' || key === '$defs' || key === 'definitions'
        ? Object.fromEntries(
            Object.entries(value as JsonSchema).map(([k, v]) => [k, acceptReferences(v)]),
          )
        : ['enum', 'const', 'default', 'examples', 'required'].includes(key)
          ? value
          : acceptReferences(value),
    ]),
  );
  const reference = referenceFor(copy);
  if (reference === undefined) return copy;
  const annotations = Object.fromEntries(
    ANNOTATIONS.filter((k) => k in copy).map((k) => [k, copy[k]]),
  );
  const rest = Object.fromEntries(Object.entries(copy).filter(([k]) => !ANNOTATIONS.includes(k)));
  return { ...annotations, anyOf: [rest, reference] };
}

/** The file's schema as JSON Schema (functions, which a file cannot hold, become `{}`). */
export function configJsonSchema(): unknown {
  return acceptReferences(z.toJSONSchema(configSchema, { unrepresentable: 'any', io: 'input' }));
}

/** The JSON Schema as `sluice schema` prints it and the committed file holds it. */
export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
