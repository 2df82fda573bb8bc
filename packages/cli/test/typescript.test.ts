/**
 * TypeScript handler modules load with Node's own type stripping where Node
 * has it, and through tsx (an optional peer) only as a fallback; without
 * either, the error says `npm install tsx`.
 */
import { describe, expect, it, vi } from 'vitest';
import { importTypeScript, nativeTypeScript, type TypeScriptLoaders } from '../src/typescript.ts';

const notFound = (what: string): Error =>
  Object.assign(new Error(`Cannot find package '${what}'`), { code: 'ERR_MODULE_NOT_FOUND' });
const unsupported = (): Error =>
  Object.assign(new Error('TypeScript enum is not supported in strip-only mode\n  at …'), {
    code: 'ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX',
  });

function loaders(overrides: Partial<TypeScriptLoaders>): TypeScriptLoaders & {
  tsImport: ReturnType<typeof vi.fn>;
} {
  const tsImport = vi.fn(() => Promise.resolve({ via: 'tsx' }));
  return {
    native: true,
    importNative: vi.fn(() => Promise.resolve({ via: 'native' })),
    loadTsx: vi.fn(() => Promise.resolve({ tsImport })),
    tsImport,
    ...overrides,
  };
}

describe('importTypeScript', () => {
  it('imports natively where Node strips types, and never loads tsx', async () => {
    const l = loaders({});
    await expect(importTypeScript('/app/handlers.ts', l)).resolves.toEqual({ via: 'native' });
    expect(l.importNative).toHaveBeenCalledWith('file:///app/handlers.ts');
    expect(l.loadTsx).not.toHaveBeenCalled();
  });

  it('uses tsx where Node does not strip types (Node 20)', async () => {
    const l = loaders({ native: false });
    await expect(importTypeScript('/app/handlers.ts', l)).resolves.toEqual({ via: 'tsx' });
    expect(l.importNative).not.toHaveBeenCalled();
    expect(l.tsImport).toHaveBeenCalledWith('file:///app/handlers.ts', expect.any(String));
  });

  it('names npm install tsx when Node does not strip types and tsx is missing', async () => {
    const l = loaders({ native: false, loadTsx: () => Promise.reject(notFound('tsx')) });
    await expect(importTypeScript('/app/handlers.ts', l)).rejects.toThrow(
      /does not strip TypeScript types \(Node 22\.18\+ does\).*npm install tsx/,
    );
  });

  it('falls back to tsx for syntax type stripping cannot run (an enum)', async () => {
    const l = loaders({ importNative: () => Promise.reject(unsupported()) });
    await expect(importTypeScript('/app/handlers.ts', l)).resolves.toEqual({ via: 'tsx' });
  });

  it('says why and names npm install tsx when stripping fails and tsx is missing', async () => {
    const l = loaders({
      importNative: () => Promise.reject(unsupported()),
      loadTsx: () => Promise.reject(notFound('tsx')),
    });
    const error = await importTypeScript('/app/handlers.ts', l).catch((e: unknown) => e as Error);
    expect(error.message).toMatch(/enum is not supported.*npm install tsx/);
    expect(error.message).not.toContain('\n');
  });

  it('loads .tsx files through tsx only', async () => {
    const l = loaders({});
    await expect(importTypeScript('/app/view.tsx', l)).resolves.toEqual({ via: 'tsx' });
    expect(l.importNative).not.toHaveBeenCalled();
    const missing = loaders({ loadTsx: () => Promise.reject(notFound('tsx')) });
    await expect(importTypeScript('/app/view.tsx', missing)).rejects.toThrow(
      /\.tsx file.*npm install tsx/,
    );
  });

  it("reports a handler's own missing import as it is, not as a missing tsx", async () => {
    const l = loaders({
      importNative: () => Promise.reject(notFound('pg')),
      loadTsx: () => Promise.reject(notFound('tsx')),
    });
    await expect(importTypeScript('/app/handlers.ts', l)).rejects.toThrow("package 'pg'");
  });

  it('rethrows what the handler module itself throws, without trying tsx', async () => {
    const l = loaders({ importNative: () => Promise.reject(new Error('boom at load')) });
    await expect(importTypeScript('/app/handlers.ts', l)).rejects.toThrow('boom at load');
    expect(l.loadTsx).not.toHaveBeenCalled();
  });

  it('reads native support from process.features.typescript', () => {
    const features = process.features as { typescript?: unknown };
    expect(nativeTypeScript()).toBe(typeof features.typescript === 'string');
  });
});
