/**
 * Loads a pipeline file's handler module: TypeScript (with Node's own type
 * stripping where it has it, else through tsx when installed; no build step
 * either way) or JavaScript. It exports at least one
 * of `handleMessage`, `handleBatch`, `handleFailed` and `prepareMessages`,
 * by name or in a default object. Anything else is an error, never a
 * pipeline that acks messages it did not handle.
 */
import { existsSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { PipelineDefinition } from '@sluice/core';
import { ConfigError } from './config/load.ts';
import { importTypeScript } from './typescript.ts';
import { loadFailure } from './view/errors.ts';
import { rememberLifecycle } from './lifecycle.ts';

/** The callbacks a handler module may export. */
export type Handlers = Partial<
  Pick<PipelineDefinition, 'handleMessage' | 'handleBatch' | 'handleFailed' | 'prepareMessages'>
>;

const CALLBACKS = ['handleMessage', 'handleBatch', 'handleFailed', 'prepareMessages'] as const;
const TYPESCRIPT = new Set(['.ts', '.mts', '.cts', '.tsx']);

/**
 * Imports `path` (relative to the pipeline file's folder) and returns its
 * callbacks. Throws a ConfigError naming the file when it cannot be loaded,
 * exports no callback, exports something that is not a function under a
 * callback's name, or a name one slip away from a callback's.
 */
export async function loadHandlers(
  configFile: string,
  path: string,
  required: readonly (typeof CALLBACKS)[number][],
  position: { line: number | undefined; col: number | undefined } = {
    line: undefined,
    col: undefined,
  },
): Promise<Handlers> {
  const file = resolve(configFile, '..', path);
  const problem = (message: string): ConfigError =>
    new ConfigError(configFile, [{ path: 'handlers', message, ...position }]);
  if (!existsSync(file)) {
    throw problem(`handler module ${path} does not exist (looked for ${file})`);
  }
  let module: Record<string, unknown>;
  try {
    if (TYPESCRIPT.has(extname(file))) {
      module = await importTypeScript(file);
    } else {
      module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    }
  } catch (error) {
    throw problem(`handler module ${path} failed to load: ${loadFailure(error)}`);
  }
  const exports = moduleExports(module, problem, path);
  const handlers: Record<string, unknown> = {};
  for (const name of CALLBACKS) {
    const exported = exports[name];
    if (exported === undefined) continue;
    if (typeof exported !== 'function') {
      throw problem(`handler module ${path}: ${name} must be a function, got ${typeof exported}`);
    }
    handlers[name] = exported;
  }
  const names = Object.keys(exports);
  // A misspelt callback would be skipped silently, and every message acked
  // unhandled: an export one slip away from a callback's name is an error.
  for (const name of names) {
    const meant = closest(name);
    if (meant !== undefined && handlers[name] === undefined) {
      throw problem(
        `handler module ${path} exports ${name}, which Sluice does not call; did you mean ${meant}?`,
      );
    }
  }
  const listed = names.length > 0 ? names.join(', ') : 'nothing';
  if (Object.keys(handlers).length === 0) {
    throw problem(
      `handler module ${path} exports no callback Sluice can call (it exports ${listed}); export one of ${CALLBACKS.join(', ')}`,
    );
  }
  for (const name of required) {
    if (handlers[name] === undefined) {
      throw problem(`handler module ${path} does not export ${name} (it exports ${listed})`);
    }
  }
  rememberLifecycle(handlers, exports, problem, path);
  return handlers;
}

/**
 * The module's exports as Sluice reads them: its named exports, over those
 * of a `default` object (`export default { handleMessage }`, or a CommonJS
 * module's `module.exports`).
 */
function moduleExports(
  module: Record<string, unknown>,
  problem: (message: string) => ConfigError,
  path: string,
): Record<string, unknown> {
  const { default: fallback, ...named } = module;
  if (typeof fallback === 'function') {
    throw problem(
      `handler module ${path} has a default export that is a function; export it by the callback's name instead (${CALLBACKS.join(', ')})`,
    );
  }
  if (typeof fallback !== 'object' || fallback === null) return named;
  return { ...(fallback as Record<string, unknown>), ...named };
}

/** The callback `name` is one slip away from (a letter or two, or only its case), if any. */
function closest(name: string): string | undefined {
  if ((CALLBACKS as readonly string[]).includes(name)) return undefined;
  const lower = name.toLowerCase();
  return CALLBACKS.find(
    (callback) => callback.toLowerCase() === lower || distance(callback, name) <= 2,
  );
}

/** Levenshtein distance, for short names. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        substitution,
      );
    }
    previous = current;
  }
  return previous[b.length] as number;
}
