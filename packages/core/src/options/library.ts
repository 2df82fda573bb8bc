/**
 * Loading a wire library (kafkajs, amqplib, pg…), an optional peer
 * dependency of a package built on core, the first time it is needed: an
 * app installs only the libraries of the services it talks to. One
 * definition for `@sluice/producers` and `@sluice/sinks`; each passes its
 * own `import.meta.url`, so the library resolves from that package (and
 * from the app that installed it), not from core.
 */
import { createRequire } from 'node:module';
import { SluiceError } from '../errors.ts';

/** Loads `pkg` for the named producer or sink; see {@link libraryLoader}. */
export type LoadLibrary = <T>(pkg: string, range: string, name: string) => T;

/**
 * A loader resolving from `from` (the caller's `import.meta.url`) for
 * `kind`s (`'producer'`, `'sink'`). The loader returns `require(pkg)`
 * (cached), or throws a {@link SluiceError} `ERR_MISSING_LIBRARY` naming
 * the package and the command that installs it. Only a missing `pkg`
 * itself is reported so: any other load failure is rethrown as it is.
 *
 * @example
 * ```ts
 * export const loadLibrary = libraryLoader(import.meta.url, 'producer');
 * const amqp = loadLibrary<typeof import('amqplib')>('amqplib', '^2.3.1', 'rabbitmq');
 * ```
 */
export function libraryLoader(from: string, kind: string): LoadLibrary {
  const require = createRequire(from);
  const loaded = new Map<string, unknown>();
  return <T>(pkg: string, range: string, name: string): T => {
    if (loaded.has(pkg)) return loaded.get(pkg) as T;
    let library: T;
    try {
      library = require(pkg) as T;
    } catch (error) {
      if (!isMissing(error, pkg)) throw error;
      throw new SluiceError<'ERR_MISSING_LIBRARY'>(
        'ERR_MISSING_LIBRARY',
        `the ${name} ${kind} needs the ${pkg} package, which is not installed: ` +
          `run \`npm install ${pkg}@${range}\``,
        { cause: error },
      );
    }
    loaded.set(pkg, library);
    return library;
  };
}

function isMissing(error: unknown, pkg: string): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return code === 'MODULE_NOT_FOUND' && typeof message === 'string' && message.includes(`'${pkg}'`);
}
