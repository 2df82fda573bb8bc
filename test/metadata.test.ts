/**
 * Every published package carries the root's LICENSE unchanged and the
 * fields a registry page shows (cheap checks; the tarballs themselves are
 * checked in pack.test.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PUBLISHED, ROOT } from './run.ts';

const PACKAGES = PUBLISHED;
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

describe.each(PACKAGES)('@sluice/%s', (name) => {
  const manifest = JSON.parse(read(`packages/${name}/package.json`)) as Record<string, unknown>;

  it('has the root LICENSE, unchanged, and declares its license', () => {
    expect(read(`packages/${name}/LICENSE`)).toBe(read('LICENSE'));
    expect(read('LICENSE')).toContain('Apache License\n                           Version 2.0');
    expect(manifest['license']).toBe('Apache-2.0');
  });

  it('builds when packed, and names its repository folder', () => {
    // core also bundles its entry points after tsc (packages/core/scripts/bundle.js).
    const prepack = name === 'core' ? 'tsc -b && node scripts/bundle.js' : 'tsc -b';
    expect(manifest['scripts']).toMatchObject({ prepack });
    expect(manifest['repository']).toMatchObject({ directory: `packages/${name}` });
    expect(manifest['homepage']).toMatch(/^https:\/\//);
    expect(manifest['bugs']).toBeDefined();
  });
});
