/**
 * The bad-input suite's shared checks (issue 15): every bad option fails at
 * once with an InvalidOptionsError whose message names the option's path,
 * what was expected and the value given.
 */
import { expect } from 'vitest';
import {
  InvalidOptionsError,
  SluiceError,
  type Message,
  type ProducerModule,
} from '../../src/index.ts';

/** One bad option: where it is, what the message shows of it, what it expects. */
export interface OptionRow {
  /** The option's path as the message names it, e.g. `processors.default.concurrency`. */
  readonly path: string;
  /** The value as the message shows it, after `got `: `0`, `'8'`, `[Function f]`. */
  readonly got: string;
  /** A substring of the expectation: `expected a positive integer`. */
  readonly expected: string;
}

/**
 * Runs `call`, which must throw a SluiceError with ERR_INVALID_OPTIONS (an
 * InvalidOptionsError from option schemas) whose message has a line naming
 * `row.path`, the expectation and the value.
 */
export function expectInvalid(call: () => unknown, row: OptionRow): SluiceError {
  let thrown: unknown;
  try {
    call();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(SluiceError);
  const error = thrown as SluiceError;
  expect(error.code).toBe('ERR_INVALID_OPTIONS');
  if (error instanceof InvalidOptionsError) {
    expect(error.issues.map((i) => i.path)).toContain(row.path);
  }
  const lines = error.message.split('\n').map((l) => l.replace(/^(invalid [^:]+:)?\s*(- )?/, ''));
  const line =
    lines.find((l) => l.startsWith(`${row.path}: `)) ??
    lines.find((l) => l.includes(`: ${row.path}: `));
  expect(line, `no line for ${row.path} in:\n${error.message}`).toBeDefined();
  expect(line).toContain(row.expected);
  expect(line).toContain(`got ${row.got}`);
  return error;
}

/** A producer module that emits nothing. */
export const idle = (): ProducerModule => ({ init: () => ({ handleDemand: () => undefined }) });

/** A handleMessage that returns its message, named for error messages. */
export const pass = (_processor: string, message: Message): Message => message;

/** What `call` throws (the test fails if it returns). */
export function thrownBy(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}
