// Bundles core's four entry points, after `tsc -b` has built dist/: the
// package's `exports` point at dist/bundle/, where each entry is one file
// plus the chunks the entries share (one copy of each module, so the entry
// points still share their classes and state). Importing 51 small modules
// cost more than their code: resolving, reading and linking each one made
// `import '@sluice/core'` about 45 ms and 8 MiB of RSS on a loaded machine,
// where the bundle takes about 15 ms and 2 MiB (docs/performance.md).
// The sources stay one job per file; the types stay tsc's dist/*.d.ts.
//
//   node packages/core/scripts/bundle.js   (npm run build runs it)
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';

const dist = resolve(import.meta.dirname, '../dist');
const outdir = resolve(dist, 'bundle');
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: {
    index: resolve(dist, 'index.js'),
    'stage/index': resolve(dist, 'stage/index.js'),
    'flow/index': resolve(dist, 'flow/index.js'),
    'options/index': resolve(dist, 'options/index.js'),
  },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // zod, pino and node: stay imports of their own packages.
  packages: 'external',
  sourcemap: true,
  chunkNames: 'chunks/[name]-[hash]',
  logLevel: 'warning',
});
