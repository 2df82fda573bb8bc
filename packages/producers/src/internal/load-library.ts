/**
 * Loads a producer's wire library, an optional peer dependency of
 * `@sluice/producers`, when the producer is first used: an app installs
 * only the libraries of the brokers it talks to. Resolved from this
 * package; the loader is core's `libraryLoader`, shared with the sinks.
 */
import { libraryLoader } from '@sluice/core/options';

/**
 * `require(pkg)`, or a `SluiceError` `ERR_MISSING_LIBRARY` that names the
 * package and the command that installs it (`loadLibrary(pkg, range, producer)`).
 */
export const loadLibrary = libraryLoader(import.meta.url, 'producer');
