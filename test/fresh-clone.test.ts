/**
 * Issue 17, items 2 and 9: a fresh clone works as the docs say. After
 * `npm ci` (and nothing else), `npx sluice --help` runs from the root; and
 * `npm pack` of a package builds it first (`prepack`), so a tarball packed
 * from a clean tree has its dist/.
 *
 * The clone is a copy of this working tree's files as git sees them
 * (tracked and new, not ignored): no dist/, no node_modules/.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, ok, registryProblem, run } from './run.ts';

const skip = await registryProblem();

describe.skipIf(skip !== undefined)('a fresh clone', () => {
  let clone = '';

  beforeAll(async () => {
    clone = mkdtempSync(join(tmpdir(), 'sluice-clone-'));
    const listed = await ok(
      'git',
      ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
      ROOT,
    );
    for (const file of listed.split('\0').filter(Boolean)) {
      if (!existsSync(join(ROOT, file))) continue; // deleted in the working tree
      mkdirSync(dirname(join(clone, file)), { recursive: true });
      copyFileSync(join(ROOT, file), join(clone, file));
    }
    expect(existsSync(join(clone, 'packages/cli/dist'))).toBe(false);
    await ok('npm', ['ci', '--prefer-offline'], clone);
  });
  afterAll(() => {
    if (clone !== '') rmSync(clone, { recursive: true, force: true });
  });

  it('runs npx sluice --help right after npm ci', async () => {
    const help = await run('npx', ['--no-install', 'sluice', '--help'], clone);
    expect(help.stderr).not.toContain('could not determine executable');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/sluice run/);
  });

  it('builds a package when it is packed (prepack), so its tarball has dist/', async () => {
    rmSync(join(clone, 'packages/testing/dist'), { recursive: true, force: true });
    rmSync(join(clone, 'packages/testing/tsconfig.tsbuildinfo'), { force: true });
    const out = await ok('npm', ['pack', '--dry-run', '--json', '-w', '@sluice/testing'], clone);
    const [report] = JSON.parse(out) as { files: { path: string }[] }[];
    const files = report!.files.map((f) => f.path);
    expect(files).toEqual(
      expect.arrayContaining(['dist/index.js', 'dist/index.d.ts', 'README.md', 'LICENSE']),
    );
  });
});
