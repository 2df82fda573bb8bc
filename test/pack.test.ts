/**
 * Issue 17, item 9: the packages as a user gets them. `npm pack` of every
 * package under packages/ (from this built tree), installed into a new
 * app outside the repository from the tarballs alone: a typed pipeline
 * tested with @sluice/testing compiles and runs, core and testing bring no
 * broker library, and `npx sluice run` runs a pipeline file.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PUBLISHED, ROOT, ok, registryProblem, run } from './run.ts';

const PACKAGES = PUBLISHED;
/** The @sluice packages the CLI depends on: the registry does not have them, their tarballs stand in. */
const CLI_DEPENDENCIES = Object.keys(
  (
    JSON.parse(readFileSync(join(ROOT, 'packages/cli/package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    }
  ).dependencies,
)
  .filter((d) => d.startsWith('@sluice/'))
  .map((d) => d.slice('@sluice/'.length));
const skip = await registryProblem();

describe.skipIf(skip !== undefined)('the packed packages, in an app of their own', () => {
  let work = '';
  let app = '';
  const tarball: Record<string, string> = {};

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'sluice-pack-'));
    app = join(work, 'app');
    const packed = await ok(
      'npm',
      [
        'pack',
        '--json',
        '--pack-destination',
        work,
        ...PACKAGES.flatMap((p) => ['-w', `@sluice/${p}`]),
      ],
      ROOT,
    );
    for (const { name, filename } of JSON.parse(packed) as { name: string; filename: string }[]) {
      tarball[name.replace('@sluice/', '')] = join(work, filename);
    }
    execFileSync('mkdir', [app]);
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({ name: 'outside-app', private: true, type: 'module' }),
    );
  });
  afterAll(() => {
    if (work !== '') rmSync(work, { recursive: true, force: true });
  });

  it.each(PACKAGES)('@sluice/%s has README, LICENSE, its dist and its types', (name) => {
    const files = execFileSync('tar', ['-tzf', tarball[name]!], { encoding: 'utf8' }).split('\n');
    expect(files).toEqual(
      expect.arrayContaining([
        'package/README.md',
        'package/LICENSE',
        'package/package.json',
        'package/dist/index.js',
        'package/dist/index.d.ts',
      ]),
    );
    const manifest = JSON.parse(
      execFileSync('tar', ['-xzOf', tarball[name]!, 'package/package.json'], { encoding: 'utf8' }),
    ) as { repository?: { url: string; directory: string }; dependencies?: object };
    expect(manifest.repository).toEqual({
      type: 'git',
      url: 'git+https://github.com/sluice-dev/sluice.git',
      directory: `packages/${name}`,
    });
    expect(Object.keys(manifest.dependencies ?? {})).not.toContain('tsx');
  });

  it('core and testing install without any broker library, and a typed pipeline runs', async () => {
    await ok(
      'npm',
      ['install', tarball['core']!, tarball['testing']!, '@types/node@22', 'typescript@5.9'],
      app,
    );
    const tree = await ok('npm', ['ls', '--all', '--parseable'], app);
    for (const library of [
      'kafkajs',
      '@platformatic/kafka',
      'amqplib',
      '@aws-sdk',
      'tsx',
      'esbuild',
    ]) {
      expect(tree).not.toContain(`node_modules/${library}`);
    }
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2023',
          module: 'NodeNext',
          strict: true,
          outDir: 'out',
          types: ['node'],
        },
        include: ['main.ts'],
      }),
    );
    writeFileSync(
      join(app, 'main.ts'),
      `import { createPipeline } from '@sluice/core';
import { testMessage, testProducer } from '@sluice/testing';

// No annotation and no cast: message.data is a string because the producer says so.
const pipeline = createPipeline({
  name: 'orders',
  producer: { module: testProducer<string>() },
  processors: { default: { concurrency: 2 } },
  async handleMessage(_processor, message) {
    const amount = Number(message.data.split('=')[1]);
    return amount > 0 ? message : message.fail('no amount');
  },
});
await pipeline.start();
const good = await testMessage(pipeline, 'amount=3');
const bad = await testMessage(pipeline, 'amount=0');
await pipeline.stop();
console.log(JSON.stringify({ good: good.successful.length, bad: bad.failed.length }));
`,
    );
    // Type-checks against the packed .d.ts files (skipLibCheck off), then runs.
    await ok(process.execPath, [join(app, 'node_modules/typescript/bin/tsc'), '-p', '.'], app);
    const out = await ok(process.execPath, ['out/main.js'], app);
    expect(JSON.parse(out.trim())).toEqual({ good: 1, bad: 1 });
  });

  it('runs npx sluice run on a generator pipeline, without tsx or esbuild installed', async () => {
    await ok(
      'npm',
      ['install', ...[...CLI_DEPENDENCIES, 'testing', 'cli'].map((p) => tarball[p]!)],
      app,
    );
    const tree = await ok('npm', ['ls', '--all', '--parseable'], app);
    expect(tree).not.toContain('node_modules/esbuild');
    writeFileSync(
      join(app, 'pipeline.yaml'),
      `name: orders
producer: { type: generator, count: 200 }
processors:
  default: { concurrency: 2 }
handlers: ./handlers.js
`,
    );
    writeFileSync(
      join(app, 'handlers.js'),
      'export async function handleMessage(_processor, message) { return message; }\n',
    );
    const ran = await run('npx', ['--no-install', 'sluice', 'run', 'pipeline.yaml'], app);
    expect(ran.stderr).not.toMatch(/"level":"?(error|50)/);
    expect(ran.code).toBe(0);
  });

  it('loads a TypeScript handler natively where Node strips types, else names npm install tsx', async () => {
    writeFileSync(
      join(app, 'typed.yaml'),
      `name: typed
producer: { type: generator, count: 20 }
processors:
  default: { concurrency: 1 }
handlers: ./handlers.ts
`,
    );
    writeFileSync(
      join(app, 'handlers.ts'),
      `interface Order { id: number }
export async function handleMessage<M extends { data: unknown }>(_processor: string, message: M): Promise<M> {
  const order: Order = { id: Number(message.data) };
  return order.id >= 0 ? message : message;
}
`,
    );
    const ran = await run('npx', ['--no-install', 'sluice', 'run', 'typed.yaml'], app);
    if (typeof (process.features as { typescript?: unknown }).typescript === 'string') {
      expect(ran.stderr).not.toContain('npm install tsx');
      expect(ran.code).toBe(0);
    } else {
      expect(ran.stderr).toContain('npm install tsx');
      expect(ran.code).not.toBe(0);
    }
  });
});
