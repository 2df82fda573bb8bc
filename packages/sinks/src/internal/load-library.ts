/**
 * Loads a sink's wire library, an optional peer dependency of
 * `@sluice/sinks`, when the sink is first created: an app installs
 * only the libraries of the brokers it talks to.
 */
import { createRequire } from 'node:module';
import { SluiceError } from '@sluice/core';

const require = createRequire(import.meta.url);
const loaded = new Map<string, unknown>();

/**
 * `require(pkg)`, or a {@link SluiceError} `ERR_MISSING_LIBRARY` that names
 * the package and the command that installs it. Only a missing `pkg`
 * itself is reported so: any other load failure is rethrown as it is.
 */
export function loadLibrary<T>(pkg: string, range: string, sink: string): T {
  if (loaded.has(pkg)) return loaded.get(pkg) as T;
  let library: T;
  try {
    library = require(pkg) as T;
  } catch (error) {
    if (!isMissing(error, pkg)) throw error;
    throw new SluiceError<'ERR_MISSING_LIBRARY'>(
      'ERR_MISSING_LIBRARY',
      `the ${sink} sink needs the ${pkg} package, which is not installed: ` +
        `run \`npm install ${pkg}@${range}\``,
      { cause: error },
    );
  }
  loaded.set(pkg, library);
  return library;
}

function isMissing(error: unknown, pkg: string): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return code === 'MODULE_NOT_FOUND' && typeof message === 'string' && message.includes(`'${pkg}'`);
}
