/**
 * `npm run bench:flow`: the word count over a generated text (100 MB by
 * default) with Flow at 1, 2 and 4 stages, beside a plain sync loop, a Node
 * streams version and an async-iterator version, in one run. Each variant
 * runs in its own process: a warm-up, then BENCH_RUNS counted runs.
 * Reports words/s, CPU µs per word and ratios against the sync loop.
 *
 *   BENCH_FLOW_MB  size of the text (default 100)
 *   BENCH_RUNS     counted runs per variant (default 3)
 *   --smoke        a 1 MB text, one run: checks the bench works
 *   --demand       instead, Flow at 2 stages with the partition layer's
 *                  maxDemand swept over DEMANDS, beside the sync loop: how
 *                  the flow default was chosen
 */
import { fork } from 'node:child_process';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { Flow } from '@sluice/core/flow';
import { formatRate, median, table } from './stats.ts';
import { writeText } from '@sluice/example-word-count';

const smoke = process.argv.includes('--smoke');
const MB = smoke ? 1 : Number(process.env['BENCH_FLOW_MB'] ?? 100);
const RUNS = smoke ? 1 : Number(process.env['BENCH_RUNS'] ?? 3);
const PATH = join(tmpdir(), `sluice-flow-bench-${MB}mb.txt`);
const DEMANDS = [25, 50, 100, 250, 500, 1000, 2000, 5000];
const VARIANTS: readonly string[] = process.argv.includes('--demand')
  ? ['sync-loop', ...DEMANDS.map((d) => `flow-2@${d}`)]
  : ['sync-loop', 'streams', 'async-iterator', 'flow-1', 'flow-2', 'flow-4'];
/** A baseline's name, or `flow-<stages>` with an optional `@<maxDemand>`. */
type Variant = string;
const WORD = /\S+/g;

const add = (counts: Map<string, number>, word: string): void =>
  void counts.set(word, (counts.get(word) ?? 0) + 1);

async function count(variant: Variant): Promise<Map<string, number>> {
  switch (variant) {
    case 'sync-loop': {
      const counts = new Map<string, number>();
      for (const m of readFileSync(PATH, 'utf8').matchAll(WORD)) add(counts, m[0]);
      return counts;
    }
    case 'async-iterator': {
      const counts = new Map<string, number>();
      for await (const line of createInterface({
        input: createReadStream(PATH),
        crlfDelay: Infinity,
      })) {
        for (const m of line.matchAll(WORD)) add(counts, m[0]);
      }
      return counts;
    }
    case 'streams': {
      const counts = new Map<string, number>();
      let rest = '';
      await pipeline(
        createReadStream(PATH, { encoding: 'utf8' }),
        new Transform({
          readableObjectMode: true,
          transform(chunk: string, _e, done) {
            const text = rest + chunk;
            const cut = text.lastIndexOf('\n');
            rest = text.slice(cut + 1);
            done(null, text.slice(0, cut + 1).match(WORD) ?? []);
          },
          flush(done) {
            done(null, rest.match(WORD) ?? []);
          },
        }),
        new Writable({
          objectMode: true,
          write(words: string[], _e, done) {
            for (const w of words) add(counts, w);
            done();
          },
        }),
      );
      return counts;
    }
    default: {
      const [stages = 1, maxDemand] = variant.slice('flow-'.length).split('@').map(Number);
      const lines = createInterface({ input: createReadStream(PATH), crlfDelay: Infinity });
      const partials = await Flow.fromIterable(lines)
        .flatMap((line) => line.match(WORD) ?? [])
        .partition({ stages, ...(maxDemand !== undefined && { maxDemand }) })
        .reduce(
          () => new Map<string, number>(),
          (word, counts) => counts.set(word, (counts.get(word) ?? 0) + 1),
        )
        .emit('state')
        .toArray();
      const counts = new Map<string, number>();
      for (const p of partials) for (const [w, n] of p) counts.set(w, n);
      return counts;
    }
  }
}

interface Sample {
  readonly words: number;
  readonly ms: number;
  readonly cpuUs: number;
}

async function child(variant: Variant): Promise<void> {
  await count(variant); // warm-up
  const samples: Sample[] = [];
  for (let i = 0; i < RUNS; i++) {
    const cpu = process.cpuUsage();
    const start = performance.now();
    const counts = await count(variant);
    const ms = performance.now() - start;
    const used = process.cpuUsage(cpu);
    samples.push({
      words: [...counts.values()].reduce((a, b) => a + b, 0),
      ms,
      cpuUs: used.user + used.system,
    });
  }
  process.send?.(samples);
}

function runChild(variant: Variant): Promise<Sample[]> {
  return new Promise((resolve, reject) => {
    const proc = fork(
      fileURLToPath(import.meta.url),
      ['--child', variant, ...process.argv.slice(2).filter((a) => a === '--smoke')],
      {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      },
    );
    let samples: Sample[] | undefined;
    proc.once('message', (m) => (samples = m as Sample[]));
    proc.once('exit', (code) =>
      code === 0 && samples
        ? resolve(samples)
        : reject(new Error(`${variant} exited with ${code}`)),
    );
  });
}

async function main(): Promise<void> {
  const at = process.argv.indexOf('--child');
  if (at !== -1) return child(process.argv[at + 1] as Variant);
  if (!existsSync(PATH) || statSync(PATH).size < MB * 1e6) await writeText(PATH, MB * 1e6);
  console.log(`word count over ${MB} MB, ${RUNS} runs per variant${smoke ? ' (smoke)' : ''}`);
  const rows: string[][] = [];
  const rates = new Map<Variant, number>();
  let words = 0;
  for (const variant of VARIANTS) {
    const samples = await runChild(variant);
    words = samples[0]?.words ?? 0;
    const rate = median(samples.map((s) => s.words / (s.ms / 1000)));
    rates.set(variant, rate);
    rows.push([
      variant,
      formatRate(rate),
      median(samples.map((s) => s.cpuUs / s.words)).toFixed(3),
    ]);
  }
  const loop = rates.get('sync-loop') as number;
  for (const row of rows) {
    row.push(`${((rates.get(row[0] as Variant) as number) / loop).toFixed(2)}×`);
  }
  console.log(`${words.toLocaleString()} words`);
  console.log(table(['variant', 'words/s (median)', 'CPU µs/word', 'vs sync loop'], rows));
}

await main();
