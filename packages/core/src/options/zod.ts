/**
 * zod, loaded on first use rather than at import: zod is most of what
 * `import '@sluice/core'` would cost (about 14 MiB of RSS and 50–100 ms),
 * and a process that imports Sluice but has not built a pipeline yet needs
 * none of it. Option schemas are built in {@link lazily} functions that
 * call {@link zod} when first asked for, which is when options are first
 * validated.
 *
 * Loading must be synchronous (options are checked inside synchronous
 * calls such as `createPipeline`), so it goes through `require`. On Node
 * versions that `require` ES modules (20.19+, 22.12+) it requires zod's ES
 * module build, which is the very instance `import { z } from 'zod'` gives
 * the rest of the process: one zod, no dual-package hazard. On older 22.x
 * releases it falls back to zod's CommonJS build; zod keeps its metadata
 * registry on `globalThis` and checks classes by trait, so schemas of both
 * builds still compose and still carry their descriptions.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type * as Zod from 'zod';

/** zod's `z` namespace, as `import { z } from 'zod'` gives it. */
export type ZodApi = typeof Zod.z;

let loaded: ZodApi | undefined;

/** zod's `z`, loaded (once) on the first call. */
export function zod(): ZodApi {
  return (loaded ??= load());
}

function load(): ZodApi {
  const require = createRequire(import.meta.url);
  try {
    const esm = fileURLToPath(import.meta.resolve('zod'));
    return (require(esm) as typeof Zod).z;
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ERR_REQUIRE_ESM') throw error;
    return (require('zod') as typeof Zod).z;
  }
}

/**
 * `build`, run on the first call only: every later call returns what the
 * first one built. Schemas are built this way so that their modules can be
 * imported without loading zod.
 *
 * @example
 * ```ts
 * export const fooSchemas = lazily(() => {
 *   const z = zod();
 *   return { fooSchema: z.object({ size: z.int().default(1) }) };
 * });
 * ```
 */
export function lazily<T>(build: () => T): () => T {
  let built: { value: T } | undefined;
  return () => (built ??= { value: build() }).value;
}
