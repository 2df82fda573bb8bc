/**
 * Imports a TypeScript handler module without a build step. Node strips
 * types itself from 22.18 and 23.6 on (and from 22.6 with
 * `--experimental-strip-types`): there the module is imported as it is.
 * Elsewhere, and for what type stripping cannot run (`.tsx` files, enums,
 * namespaces, parameter properties, extensionless relative imports, files
 * under node_modules), `tsx` is used when the app has it installed; it is an
 * optional peer dependency of `@sluice/cli`, so a plain install pulls no
 * compiler and no native binary.
 */
import { extname } from 'node:path';
import { pathToFileURL } from 'node:url';

/** A module's namespace object, as `import()` returns it. */
export type ModuleNamespace = Record<string, unknown>;

/** What {@link importTypeScript} uses; tests replace them. */
export interface TypeScriptLoaders {
  /** Whether this Node strips TypeScript types itself. */
  readonly native: boolean;
  /** Node's own `import()`. */
  readonly importNative: (url: string) => Promise<ModuleNamespace>;
  /** Loads `tsx`'s `tsImport`; rejects with `ERR_MODULE_NOT_FOUND` when tsx is not installed. */
  readonly loadTsx: () => Promise<{
    tsImport: (url: string, parent: string) => Promise<unknown>;
  }>;
}

/** Errors of a native import that `tsx` can get past. */
const TSX_CAN_HELP = new Set([
  'ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX',
  'ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING',
  'ERR_UNKNOWN_FILE_EXTENSION',
  'ERR_MODULE_NOT_FOUND',
]);

/**
 * Whether this Node strips TypeScript types by default (or was started
 * with `--experimental-strip-types`): `process.features.typescript` is
 * `'strip'` or `'transform'` then, and `false` or absent otherwise.
 */
export function nativeTypeScript(): boolean {
  const features = process.features as { typescript?: string | false };
  return typeof features.typescript === 'string';
}

const defaultLoaders: TypeScriptLoaders = {
  native: nativeTypeScript(),
  importNative: async (url) => (await import(url)) as ModuleNamespace,
  loadTsx: () => import('tsx/esm/api'),
};

/**
 * Imports the TypeScript module at the absolute path `file`: natively where
 * Node can, else (or when native stripping rejects the file) through tsx.
 * Throws an error whose first line says what to do (`npm install tsx`, or a
 * newer Node) when neither can load it.
 */
export async function importTypeScript(
  file: string,
  loaders: TypeScriptLoaders = defaultLoaders,
): Promise<ModuleNamespace> {
  const url = pathToFileURL(file).href;
  const jsx = extname(file) === '.tsx';
  let nativeError: unknown;
  if (loaders.native && !jsx) {
    try {
      return await loaders.importNative(url);
    } catch (error) {
      if (!TSX_CAN_HELP.has(code(error))) throw error;
      nativeError = error;
    }
  }
  let tsx: Awaited<ReturnType<TypeScriptLoaders['loadTsx']>>;
  try {
    tsx = await loaders.loadTsx();
  } catch (error) {
    if (code(error) !== 'ERR_MODULE_NOT_FOUND') throw error;
    // A missing import of the handler's own: tsx would not find it either.
    if (code(nativeError) === 'ERR_MODULE_NOT_FOUND') throw nativeError;
    throw new Error(missingTsx(file, loaders.native, jsx, nativeError), { cause: nativeError });
  }
  return (await tsx.tsImport(url, import.meta.url)) as ModuleNamespace;
}

/** The message for a TypeScript module that only tsx could load, with tsx not installed. */
function missingTsx(file: string, native: boolean, jsx: boolean, nativeError: unknown): string {
  const install = 'run `npm install tsx` in your project to load it through tsx';
  if (jsx) return `${file} is a .tsx file, which Node cannot strip; ${install}`;
  if (!native) {
    return `Node ${process.version} does not strip TypeScript types (Node 22.18+ does); upgrade Node, or ${install}`;
  }
  const reason = ((nativeError as Error | undefined)?.message ?? '').split('\n')[0] ?? '';
  return `Node could not strip the types of ${file} (${reason}); ${install}, or keep to erasable syntax with .ts import specifiers`;
}

function code(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
}
