/**
 * "Did you mean …?" for an unknown key in a pipeline file: the keys the
 * schema allows where the unknown one is, and the closest of them.
 */
import type { z } from 'zod';

/** The parts of zod's internal definitions the walk reads. */
interface Def {
  readonly type: string;
  readonly shape?: Record<string, z.ZodType>;
  readonly innerType?: z.ZodType;
  readonly in?: z.ZodType;
  readonly valueType?: z.ZodType;
  readonly element?: z.ZodType;
  readonly options?: readonly z.ZodType[];
  readonly values?: readonly unknown[];
}

const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** The object schema(s) a value at `schema` may be, past wrappers and pipes. */
function objects(schema: z.ZodType, value: unknown): Def[] {
  const def = defOf(schema);
  switch (def.type) {
    case 'object':
      return [def];
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
      return def.innerType !== undefined ? objects(def.innerType, value) : [];
    case 'pipe':
      return def.in !== undefined ? objects(def.in, value) : [];
    case 'union': {
      const all = (def.options ?? []).flatMap((o) => objects(o, value));
      // A discriminated union: the option whose literal keys match the value's.
      const matching = all.filter((o) =>
        Object.entries(o.shape ?? {}).every(([key, field]) => {
          const literal = defOf(field);
          return (
            literal.type !== 'literal' ||
            (literal.values ?? []).includes((value as Record<string, unknown> | null)?.[key])
          );
        }),
      );
      return matching.length > 0 ? matching : all;
    }
    default:
      return [];
  }
}

/** The schema of what is at `key` inside a value of `schema`. */
function child(schema: z.ZodType, key: PropertyKey, value: unknown): z.ZodType | undefined {
  const def = defOf(schema);
  switch (def.type) {
    case 'record':
      return def.valueType;
    case 'array':
      return def.element;
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
      return def.innerType !== undefined ? child(def.innerType, key, value) : undefined;
    case 'pipe':
      return def.in !== undefined ? child(def.in, key, value) : undefined;
    default:
      return objects(schema, value)
        .map((o) => o.shape?.[key as string])
        .find((s) => s !== undefined);
  }
}

/** The keys `schema` allows in the object at `path` of `input` (the unknown key's parent). */
export function allowedKeys(
  schema: z.ZodType,
  input: unknown,
  path: readonly PropertyKey[],
): string[] {
  let node: z.ZodType | undefined = schema;
  let value = input;
  for (const key of path) {
    if (node === undefined) return [];
    node = child(node, key, value);
    value = (value as Record<PropertyKey, unknown> | null)?.[key];
  }
  if (node === undefined) return [];
  return [...new Set(objects(node, value).flatMap((o) => Object.keys(o.shape ?? {})))];
}

/** Levenshtein distance between two short strings. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * The allowed key `unknown` most likely meant: the same but for case, or
 * the nearest within a third of its length (at least 1, at most 3 edits).
 */
export function didYouMean(unknown: string, allowed: readonly string[]): string | undefined {
  const lower = unknown.toLowerCase();
  const sameButCase = allowed.find((k) => k.toLowerCase() === lower);
  if (sameButCase !== undefined) return sameButCase;
  const limit = Math.min(3, Math.max(1, Math.floor(unknown.length / 3)));
  let best: { key: string; distance: number } | undefined;
  for (const key of allowed) {
    const distance = editDistance(lower, key.toLowerCase());
    if (distance <= limit && (best === undefined || distance < best.distance)) {
      best = { key, distance };
    }
  }
  return best?.key;
}
