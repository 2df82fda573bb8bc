/**
 * `sluice test`'s stubs: context entries replaced for a test, so a case
 * never reaches the real database or API a handler takes from `context`.
 *
 * A stub is an inline value (a case's `context:`), or a module (`stubs:`,
 * a path relative to the file that names it) whose default export, or else
 * whose exports as one object, stands in for the entry.
 */
import { existsSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from './config/load.ts';
import type { HandlerContext } from './lifecycle.ts';

const TYPESCRIPT = new Set(['.ts', '.mts', '.cts', '.tsx']);

/** Imports a stub module (TypeScript through tsx, like a handler module). */
async function importStub(file: string): Promise<Record<string, unknown>> {
  if (TYPESCRIPT.has(extname(file))) {
    const { tsImport } = await import('tsx/esm/api');
    return (await tsImport(pathToFileURL(file).href, import.meta.url)) as Record<string, unknown>;
  }
  return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
}

/**
 * A TypeScript module that Node takes for CommonJS (no `"type": "module"`
 * above it) comes back from tsx as `{ default: { default: value } }`:
 * the value is the inner one.
 */
function interop(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value);
  const esModule = (value as { __esModule?: unknown }).__esModule === true;
  return 'default' in value && (esModule || (keys.length === 1 && keys[0] === 'default'))
    ? value.default
    : value;
}

/**
 * Loads `stubs` (context entry name → module path, relative to `declaredIn`)
 * into the values that replace those entries. Throws a ConfigError naming
 * `declaredIn` when a module is missing or fails to load.
 */
export async function loadStubs(
  declaredIn: string,
  stubs: Readonly<Record<string, string>> | undefined,
): Promise<HandlerContext> {
  const loaded: HandlerContext = {};
  for (const [entry, path] of Object.entries(stubs ?? {})) {
    const file = resolve(declaredIn, '..', path);
    const problem = (message: string): ConfigError =>
      new ConfigError(declaredIn, [
        { path: `stubs.${entry}`, message, line: undefined, col: undefined },
      ]);
    if (!existsSync(file)) {
      throw problem(`stub module ${path} does not exist (looked for ${file})`);
    }
    let module: Record<string, unknown>;
    try {
      module = await importStub(file);
    } catch (error) {
      throw problem(
        `stub module ${path} failed to load: ${(error as Error).message.split('\n')[0] ?? ''}`,
      );
    }
    const { default: fallback, ...named } = module;
    loaded[entry] = fallback !== undefined ? interop(fallback) : named;
  }
  return loaded;
}
