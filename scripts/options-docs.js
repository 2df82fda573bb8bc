// npm run docs:options: rewrites the option tables in the docs from the
// option schemas (see packages/cli/src/docs/options-docs.ts). Run after a
// build: it reads the built packages.
import { resolve } from 'node:path';
import { updateOptionDocs } from '../packages/cli/dist/docs/options-docs.js';

const root = resolve(import.meta.dirname, '..');
const { stale, skipped } = updateOptionDocs(root, { write: true });
for (const s of skipped) console.log(`skipped ${s}: its start and end markers are missing`);
for (const s of stale) console.log(`wrote ${s}`);
if (stale.length === 0) console.log('every option table is up to date');
