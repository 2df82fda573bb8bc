/**
 * One line per error, for the live view's failure counts and its log
 * lines: the error's name and first message line, and where it was thrown
 * as `file:line:column`. Never a stack, never a JSON dump.
 */
import { fileURLToPath } from 'node:url';

/** Where an error was thrown or a syntax error sits. */
export interface ErrorLocation {
  /** A path (or the URL when it is not a file). */
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
}

/**
 * An esbuild (tsx) compile error's first line is only "Transform failed
 * with 1 error:"; the problem is on the next line, as
 * `file:line:column: ERROR: text`.
 */
const COMPILE_HEADER = /^(?:Transform|Build) failed with \d+ errors?:?$/;
const COMPILE_LINE = /^(.+?):(\d+):(\d+): (?:ERROR|error): (.+)$/;

/** A V8 stack frame's location: `(where:line:col)` or `at where:line:col`. */
const FRAME = /^\s*at (?:.*?\()?(.+?):(\d+):(\d+)\)?$/;

/**
 * Where an error comes from: an esbuild compile error's own location, or
 * the first stack frame in the user's code (not Node's internals, not a
 * dependency in `node_modules`, not Sluice's own files).
 *
 * Frames of a TypeScript module that tsx loaded as a `data:` URL carry the
 * source path in a `filePath=` parameter; that path is shown without a line
 * (the line would be the transpiled code's). With source maps enabled
 * (`process.setSourceMapsEnabled(true)`), frames already read `file:line`.
 */
export function errorLocation(error: unknown): ErrorLocation | undefined {
  const compile = compileProblem(error);
  if (compile !== undefined) return compile.location;
  const stack = (error as { stack?: unknown } | null)?.stack;
  if (typeof stack !== 'string') return undefined;
  for (const raw of stack.split('\n').slice(1)) {
    const frame = FRAME.exec(raw);
    if (frame === null) continue;
    const [, where = '', line, column] = frame;
    if (where.startsWith('node:') || where.includes('/node_modules/')) continue;
    if (/\/packages\/(?:core|cli|producers|testing)\/(?:src|dist)\//.test(where)) continue;
    if (where.startsWith('data:')) {
      const path = /[?&]filePath=([^&:]+)/.exec(where)?.[1];
      if (path === undefined) continue;
      return { file: decodeURIComponent(path).replace(/\?.*$/, '') };
    }
    // A loader's query (tsx on Node 22: `?namespace=…`) is not part of the path.
    const path = where.replace(/\?[^/]*$/, '');
    return {
      file: path.startsWith('file:') ? fileURLToPath(path) : path,
      line: Number(line),
      column: Number(column),
    };
  }
  return undefined;
}

/** `file:line:column`, or as much of it as is known. */
export function formatLocation(location: ErrorLocation): string {
  return [location.file, location.line, location.column].filter((p) => p !== undefined).join(':');
}

/** Options of {@link summarizeError}. */
export interface SummarizeOptions {
  /**
   * Replace the numbers in the message (not in the location) with `N`, so
   * `order 17 has no amount` and `order 42 has no amount` count as one
   * reason.
   */
  readonly generalize?: boolean;
}

/**
 * An error (or any thrown value, or a failure reason) in one line:
 * `Name: message (file:line:column)`. An esbuild compile error becomes
 * `SyntaxError: <its problem> (file:line:column)`.
 */
export function summarizeError(error: unknown, options: SummarizeOptions = {}): string {
  const general = (text: string): string =>
    options.generalize === true ? text.replace(/\d+(?:\.\d+)?/g, 'N') : text;
  const compile = compileProblem(error);
  if (compile !== undefined) {
    return `SyntaxError: ${general(compile.text)} (${formatLocation(compile.location)})`;
  }
  if (!(error instanceof Error)) {
    return general(firstLine(typeof error === 'string' ? error : safeString(error)));
  }
  const head = general(`${error.name}: ${firstLine(error.message)}`);
  const location = errorLocation(error);
  return location === undefined ? head : `${head} (${formatLocation(location)})`;
}

/**
 * Why a module failed to load, in one line: a compile error (TypeScript
 * syntax) as `SyntaxError: <what> (<file>:<line>:<col>)`, anything else
 * as the first line of its message.
 */
export function loadFailure(error: unknown): string {
  const compile = compileProblem(error) ?? strippingProblem(error);
  if (compile !== undefined) {
    return `SyntaxError: ${compile.text} (${formatLocation(compile.location)})`;
  }
  const message = (error as { message?: unknown } | null)?.message;
  return firstLine(typeof message === 'string' ? message : String(error));
}

/**
 * Node's own type stripping (22.18+) fails with `ERR_INVALID_TYPESCRIPT_SYNTAX`:
 * the message says what, and the stack starts `file:line`, the source line
 * and a caret under the column.
 */
function strippingProblem(error: unknown): { text: string; location: ErrorLocation } | undefined {
  const { code, message, stack } = (error ?? {}) as {
    code?: unknown;
    message?: unknown;
    stack?: unknown;
  };
  if (code !== 'ERR_INVALID_TYPESCRIPT_SYNTAX' || typeof message !== 'string') return undefined;
  const [where = '', , caret = ''] = typeof stack === 'string' ? stack.split('\n') : [];
  const place = /^(.+):(\d+)$/.exec(where);
  if (place === null) return { text: firstLine(message), location: { file: '' } };
  const column = caret.indexOf('^');
  return {
    text: firstLine(message),
    location: {
      file: place[1] ?? '',
      line: Number(place[2]),
      ...(column >= 0 && { column: column + 1 }),
    },
  };
}

function compileProblem(error: unknown): { text: string; location: ErrorLocation } | undefined {
  const message = (error as { message?: unknown } | null)?.message;
  if (typeof message !== 'string') return undefined;
  const [header, detail] = message.split('\n');
  if (header === undefined || !COMPILE_HEADER.test(header) || detail === undefined) {
    return undefined;
  }
  const match = COMPILE_LINE.exec(detail);
  if (match === null) return undefined;
  const [, file = '', line, column, text = ''] = match;
  return { text, location: { file, line: Number(line), column: Number(column) } };
}

function firstLine(text: string): string {
  return (text.split('\n')[0] ?? '').trim();
}

function safeString(value: unknown): string {
  try {
    return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
  } catch {
    return String(value);
  }
}
