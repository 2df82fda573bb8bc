/**
 * Runs a broker benchmark's cases, each run in a fresh Node process: the
 * parent prepares the run's stream (not timed), starts
 * `node <script> --run <case> <target>`, reads the elapsed ms the child
 * prints, checks that nothing is left and cleans up. One warm-up run per
 * case is not counted; the median of the counted runs is reported, and the
 * ratios of each Sluice case to its baseline, from the same run.
 */
import { spawn } from 'node:child_process';
import { formatRate, median, table } from './stats.ts';

/** One case: what the child runs on a prepared `target`, timed from its start. */
export interface BenchCase {
  readonly name: string;
  readonly n: number;
  /** Consumes the `n` messages of `target`; resolves with the elapsed ms. */
  readonly run: (target: string) => Promise<number>;
}

/** A Sluice case and its baseline, by index, with the target ratio. */
export interface BenchRatio {
  readonly label: string;
  readonly sluice: number;
  readonly baseline: number;
  readonly target: number;
}

export interface FreshRunsOptions {
  readonly title: string;
  readonly cases: readonly BenchCase[];
  readonly ratios: readonly BenchRatio[];
  readonly runs: number;
  readonly smoke: boolean;
  /** Makes a stream of `n` messages; resolves with the child's target. */
  readonly prepare: (n: number) => Promise<string>;
  /** After a run: throws if anything is left un-acked, then deletes the stream. */
  readonly finish: (target: string) => Promise<void>;
  /** Closes the parent's connections. */
  readonly close: () => Promise<void>;
}

/** The child's side: `--run <case> <target>` runs one case and prints `elapsed <ms>`. */
export async function childRun(cases: readonly BenchCase[]): Promise<boolean> {
  const at = process.argv.indexOf('--run');
  if (at === -1) return false;
  const c = cases[Number(process.argv[at + 1])];
  const target = process.argv[at + 2];
  if (c === undefined || target === undefined) throw new Error('usage: --run <case> <target>');
  const ms = await c.run(target);
  console.log(`elapsed ${ms}`);
  return true;
}

function runChild(script: string, index: number, target: string): Promise<number> {
  return new Promise((resolve, reject) => {
    // The child sees the parent's flags (--smoke) and environment, so its N is the same.
    const flags = process.argv.slice(2).filter((a) => a.startsWith('--'));
    const child = spawn(process.execPath, [script, ...flags, '--run', String(index), target], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      const ms = /elapsed ([\d.]+)/.exec(out)?.[1];
      if (code !== 0 || ms === undefined) reject(new Error(`run exited ${code}: ${out}`));
      else resolve(Number(ms));
    });
  });
}

/** The parent's side: every case, warm-up plus `runs` fresh processes each. */
export async function freshRuns(script: string, o: FreshRunsOptions): Promise<void> {
  const rates: number[] = [];
  const rows: string[][] = [];
  try {
    for (const [index, c] of o.cases.entries()) {
      const samples: number[] = [];
      for (let i = 0; i < o.runs + (o.smoke ? 0 : 1); i++) {
        const target = await o.prepare(c.n);
        const ms = await runChild(script, index, target);
        await o.finish(target);
        if (o.smoke || i > 0) samples.push(c.n / (ms / 1000));
      }
      const rate = median(samples);
      rates.push(rate);
      rows.push([
        c.name,
        String(c.n),
        formatRate(rate),
        `${formatRate(Math.min(...samples))}–${formatRate(Math.max(...samples))}`,
      ]);
      console.log(`${c.name}: ${formatRate(rate)} msgs/s`);
    }
  } finally {
    await o.close();
  }
  console.log(
    `\n${o.title}, ${o.runs} counted runs each, each in a fresh process${o.smoke ? ' (smoke)' : ''}\n`,
  );
  console.log(table(['case', 'messages', 'msgs/s (median)', 'min–max'], rows));
  let below = false;
  for (const r of o.ratios) {
    const ratio = (rates[r.sluice] as number) / (rates[r.baseline] as number);
    console.log(`${r.label}: ${ratio.toFixed(2)}× (target ≥ ${r.target}×)`);
    if (ratio < r.target) below = true;
  }
  if (!o.smoke && below) {
    console.log('below target');
    process.exitCode = 1;
  }
}
