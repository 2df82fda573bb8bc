/**
 * The producers' bad-input checks (issue 15): a bad option throws at once
 * from the factory, no broker needed, with ERR_INVALID_OPTIONS and a line
 * naming the option's path, the expectation and the value, and never the
 * raw secret a row holds.
 */
import { InvalidOptionsError } from '@sluice/core';
import { expect } from 'vitest';

/** One bad option of a producer factory. */
export interface ProducerRow {
  readonly options: Record<string, unknown>;
  /** The option's path as the message names it: `retry.backoff.initial`. */
  readonly path: string;
  /** The value as shown after `got ` (or `[redacted]`/`***` for a secret). */
  readonly got: string;
  /** A substring of the expectation. */
  readonly expected: string;
  /** A password or token in `options` that must not appear in the message. */
  readonly secret?: string;
}

/** Calls `factory(row.options)`, which must throw as the row says. */
export function expectRefused(factory: (options: never) => unknown, row: ProducerRow): void {
  let thrown: unknown;
  try {
    factory(row.options as never);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(InvalidOptionsError);
  const error = thrown as InvalidOptionsError;
  expect(error.code).toBe('ERR_INVALID_OPTIONS');
  if (row.secret !== undefined) {
    expect(error.message).not.toContain(row.secret);
    expect(JSON.stringify(error.issues)).not.toContain(row.secret);
  }
  const lines = error.message.split('\n').map((l) => l.replace(/^(invalid [^:]+:)?\s*(- )?/, ''));
  const line = lines.find((l) => l.startsWith(`${row.path}: `));
  expect(line, `no line for ${row.path} in:\n${error.message}`).toBeDefined();
  expect(line).toContain(row.expected);
  expect(line).toContain(`got ${row.got}`);
}

/** A row builder over a producer's valid base options. */
export function rowsFor(base: Record<string, unknown>) {
  return (
    patch: Record<string, unknown>,
    path: string,
    got: string,
    expected: string,
    secret?: string,
  ): ProducerRow => {
    const options: Record<string, unknown> = { ...base, ...patch };
    for (const [k, v] of Object.entries(patch)) if (v === undefined) delete options[k];
    return { options, path, got, expected, ...(secret !== undefined && { secret }) };
  };
}
