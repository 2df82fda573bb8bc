/**
 * Counts the words of a generated text with Flow, beside a plain loop.
 *
 *   node examples/word-count/dist/main.js [MB] [stages]   (default 20 MB, 2 stages)
 */
import { existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { countWithFlow, countWithLoop } from './count.ts';
import { writeText } from './text.ts';

const mb = Number(process.argv[2] ?? 20);
const stages = Number(process.argv[3] ?? 2);
const path = join(tmpdir(), `sluice-words-${mb}mb.txt`);
if (!existsSync(path) || statSync(path).size < mb * 1e6) await writeText(path, mb * 1e6);

let start = performance.now();
const flow = await countWithFlow(path, stages);
const flowMs = performance.now() - start;
start = performance.now();
const loop = countWithLoop(path);
const loopMs = performance.now() - start;

const total = [...flow.values()].reduce((a, b) => a + b, 0);
const same = flow.size === loop.size && [...loop].every(([w, n]) => flow.get(w) === n);
const top = [...flow.entries()].sort((a, b) => b[1] - a[1]).slice(0, 5);
console.log(`${total.toLocaleString()} words (${flow.size} distinct) in ${mb} MB`);
console.log(
  `Flow, ${stages} stages: ${flowMs.toFixed(0)} ms; plain loop: ${loopMs.toFixed(0)} ms; same counts: ${same}`,
);
console.log(`most common: ${top.map(([w, n]) => `${w} ${n.toLocaleString()}`).join(', ')}`);
