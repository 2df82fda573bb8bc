/**
 * Runs a zod schema at an API boundary and turns its issues into one
 * {@link InvalidOptionsError} that names every bad option, its path and the
 * value given. Stage and pipeline code only ever sees the parsed result.
 */
import { inspect } from 'node:util';
import { z } from 'zod';
import { InvalidOptionsError, type OptionIssue } from '../errors.ts';

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
  for (const issue of result.error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const path = joinPath([...issue.path, key]);
        const value = valueAt(input, [...issue.path, key]);
        issues.push({ path, message: 'unknown option', value });
        lines.push(`${path}: unknown option, got ${show(value)}`);
      }
      continue;
    }
    const path = joinPath(issue.path);
    const value = valueAt(input, issue.path);
    const message = describe(issue);
    issues.push({ path, message, value });
    lines.push(`${path || '(root)'}: ${message}, got ${show(value)}`);
  }
  throw new InvalidOptionsError(what, issues, lines);
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

function joinPath(path: readonly PropertyKey[]): string {
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

/** A short, single-line rendering of a user value for error messages. */
export function show(value: unknown): string {
  if (typeof value === 'function') return `[Function ${value.name || 'anonymous'}]`;
  return inspect(value, {
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
  return z.custom<F>((v) => typeof v === 'function', { error: 'expected a function' });
}
