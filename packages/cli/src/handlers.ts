/**
 * Loads a pipeline file's handler module: TypeScript (through tsx, so no
 * build step is needed on Node 20) or JavaScript. It may export
 * `handleMessage`, `handleBatch`, `handleFailed` and `prepareMessages`.
 */
import { existsSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { PipelineDefinition } from '@sluice/core';
import { ConfigError } from './config/load.ts';

/** The callbacks a handler module may export. */
export type Handlers = Partial<
  Pick<PipelineDefinition, 'handleMessage' | 'handleBatch' | 'handleFailed' | 'prepareMessages'>
>;

const CALLBACKS = ['handleMessage', 'handleBatch', 'handleFailed', 'prepareMessages'] as const;
const TYPESCRIPT = new Set(['.ts', '.mts', '.cts', '.tsx']);

/**
 * Imports `path` (relative to the pipeline file's folder) and returns its
 * callbacks. Throws a ConfigError naming the file when it cannot be loaded
 * or exports something that is not a function under a callback's name.
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
      const { tsImport } = await import('tsx/esm/api');
      module = (await tsImport(pathToFileURL(file).href, import.meta.url)) as Record<
        string,
        unknown
      >;
    } else {
      module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    }
  } catch (error) {
    throw problem(
      `handler module ${path} failed to load: ${(error as Error).message.split('\n')[0] ?? ''}`,
    );
  }
  const handlers: Record<string, unknown> = {};
  for (const name of CALLBACKS) {
    const exported = module[name];
    if (exported === undefined) continue;
    if (typeof exported !== 'function') {
      throw problem(`handler module ${path}: ${name} must be a function, got ${typeof exported}`);
    }
    handlers[name] = exported;
  }
  for (const name of required) {
    if (handlers[name] === undefined) {
      const exported = Object.keys(module).filter((k) => k !== 'default');
      throw problem(
        `handler module ${path} does not export ${name} (it exports ${exported.length > 0 ? exported.join(', ') : 'nothing'})`,
      );
    }
  }
  return handlers;
}
