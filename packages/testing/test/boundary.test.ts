import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');

describe('@sluice/testing package boundary', () => {
  it('depends on @sluice/core alone, so installing it brings no broker library', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
    };
    expect(Object.keys(pkg.dependencies ?? {})).toEqual(['@sluice/core']);
  });

  it('imports nothing but @sluice/core, node: modules and its own files', () => {
    const src = join(root, 'src');
    const imports = readdirSync(src, { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts'))
      .flatMap((file) =>
        [...readFileSync(join(src, file), 'utf8').matchAll(/from '([^']+)'/g)].map((m) => m[1]!),
      );
    const foreign = imports.filter(
      (spec) => !spec.startsWith('.') && !spec.startsWith('node:') && spec !== '@sluice/core',
    );
    expect(foreign).toEqual([]);
  });
});
