/**
 * Runs a zod schema at an API boundary and turns its issues into one
 * {@link InvalidOptionsError} that names every bad option, its path and the
 * value given. Stage and pipeline code only ever sees the parsed result.
 */
import { inspect } from 'node:util';
import type { z } from 'zod';
import { InvalidOptionsError, type OptionIssue } from '../errors.ts';
import { isRedacted, redact, redactWithin } from '../internal/redact.ts';
import { zod } from './zod.ts';

type Issue = z.core.$ZodIssue;

export function parseOptions<S extends z.ZodType>(
  schema: S,
  input: unknown,
  what: string,
): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues: OptionIssue[] = [];
  const lines: string[] = [];
  for (const { keys, path, message, value } of schemaProblems(result.error, input)) {
    // Secrets stay out of the message and out of `issues`, which loggers print too.
    issues.push({ path, message, value: redact(value, { path: keys }) });
    lines.push(`${path || '(root)'}: ${message}, got ${show(value, keys)}`);
  }
  throw new InvalidOptionsError(what, issues, lines);
}

/** One bad value found by a zod schema, worded as Sluice words option errors. */
export interface SchemaProblem {
  /** Where it is, as keys: `['batchers', 'db', 'batchSize']`. */
  readonly keys: readonly PropertyKey[];
  /** The same as text: `batchers.db.batchSize`, `producers[0]`; '' for the root. */
  readonly path: string;
  /** What was expected: `expected a positive integer`, `unknown option`. */
  readonly message: string;
  /**
   * The value found there (undefined when missing), as given: secrets
   * included. Print it with `showValue(value, keys)`, which hides them.
   */
  readonly value: unknown;
}

/**
 * Turns a failed zod parse of `input` into one problem per bad value, each
 * unknown key on its own, with its path and the value found there. For
 * tools that check Sluice options themselves, such as the CLI's pipeline
 * files, so their errors read like Sluice's own.
 */
export function schemaProblems(error: z.ZodError, input: unknown): SchemaProblem[] {
  const out: SchemaProblem[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const keys = [...issue.path, key];
        out.push({
          keys,
          path: joinPath(keys),
          message: 'unknown option',
          value: valueAt(input, keys),
        });
      }
      continue;
    }
    out.push({
      keys: issue.path,
      path: joinPath(issue.path),
      message: describe(issue),
      value: valueAt(input, issue.path),
    });
  }
  return out;
}

function describe(issue: Issue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.message.startsWith('Invalid input')
        ? `expected ${issue.expected}`
        : issue.message;
    case 'invalid_value':
      return issue.message.startsWith('Invalid')
        ? `expected one of ${issue.values.map((v) => show(v)).join(', ')}`
        : issue.message;
    case 'too_small':
      return issue.message.startsWith('Too small')
        ? `expected ${issue.origin === 'array' ? 'at least' : issue.inclusive ? '>=' : '>'} ${String(issue.minimum)}${issue.origin === 'array' ? ' items' : ''}`
        : issue.message;
    case 'too_big':
      return issue.message.startsWith('Too big')
        ? `expected ${issue.origin === 'array' ? 'at most' : issue.inclusive ? '<=' : '<'} ${String(issue.maximum)}${issue.origin === 'array' ? ' items' : ''}`
        : issue.message;
    case 'invalid_union':
      return issue.message === 'Invalid input'
        ? 'matches none of the accepted forms'
        : issue.message;
    default:
      return issue.message;
  }
}

/** An option's keys as text: `batchers.db.batchSize`, `producers[0]`. */
export function joinPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = input;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/**
 * A short, single-line rendering of a user value for error messages, with
 * its secrets hidden (see `redact`): values under secret-named keys and the
 * credentials of URLs. `path`, the value's keys in the options it came
 * from, counts too: `show('p', ['sasl', 'password'])` is `'[redacted]'`.
 */
export function show(value: unknown, path: readonly PropertyKey[] = []): string {
  if (typeof value === 'function') return `[Function ${value.name || 'anonymous'}]`;
  const shown = redactWithin(value, { path, maxDepth: 3, maxItems: 10 });
  // A value hidden whole reads as a placeholder, not as the string '[redacted]'.
  if (typeof shown === 'string' && isRedacted(shown)) return shown;
  return inspect(shown, {
    depth: 1,
    breakLength: Infinity,
    maxArrayLength: 5,
    maxStringLength: 80,
  });
}

/**
 * A schema for "any function". zod's own `z.function()` wraps the value in
 * a validating proxy; options must keep the caller's function as it is.
 */
export function zFunction<
  F extends (...args: never[]) => unknown = (...args: never[]) => unknown,
>() {
  return zod().custom<F>((v) => typeof v === 'function', { error: 'expected a function' });
}
