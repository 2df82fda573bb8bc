/**
 * Loads a sink's wire library, an optional peer dependency of
 * `@sluice/sinks`, when the sink is first created: an app installs only
 * the libraries of the services it writes to. Resolved from this package;
 * the loader is core's `libraryLoader`, shared with the producers.
 */
import { libraryLoader } from '@sluice/core/options';

/**
 * `require(pkg)`, or a `SluiceError` `ERR_MISSING_LIBRARY` that names the
 * package and the command that installs it (`loadLibrary(pkg, range, sink)`).
 */
export const loadLibrary = libraryLoader(import.meta.url, 'sink');
