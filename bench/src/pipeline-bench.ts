/**
 * `npm run bench`: Sluice pipelines against hand-written Node baselines,
 * measured in the same run on the same machine.
 *
 * Each scenario runs in a fresh process, apart from every other scenario:
 * one warm-up run of N messages (so V8 has compiled the hot paths, for the
 * baselines as for Sluice), then RUNS counted runs of N. The table shows the
 * median and the min–max of msgs/s, CPU µs per message, the process's peak
 * RSS, and p50/p99 latency from a message's emission to its ack. F runs
 * once, without warm-up, in its own process, so its RSS readings start from
 * a fresh heap. Results also go to bench/results/latest.json.
 *
 *   BENCH_N       messages per run (default 1,000,000)
 *   BENCH_RUNS    counted runs per scenario (default 5)
 *   BENCH_ONLY    comma-separated scenarios to run (default all)
 *   --smoke       every scenario once at small N: checks the bench works, measures nothing
 */
import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SCENARIOS, run, type Scenario } from './pipeline/scenarios.ts';
import { formatRate, median, table } from './stats.ts';

const smoke = process.argv.includes('--smoke');
const N = smoke ? 2_000 : Number(process.env['BENCH_N'] ?? 1_000_000);
const RUNS = smoke ? 1 : Number(process.env['BENCH_RUNS'] ?? 5);
const ONLY = process.env['BENCH_ONLY']?.split(',') as Scenario[] | undefined;

const isF = (scenario: Scenario): boolean => scenario === 'F';

/** How many messages a scenario moves: E is paced by its 1 ms timer, F is the long run. */
function sizeOf(scenario: Scenario): number {
  if (scenario.startsWith('E')) return Math.min(N, Number(scenario.slice(1)) * (smoke ? 5 : 300));
  if (isF(scenario)) return smoke ? 5_000 : Number(process.env['BENCH_F_N'] ?? 10_000_000);
  return N;
}

interface Sample {
  readonly msgsPerSecond: number;
  readonly cpuUsPerMessage: number;
  readonly maxRssMiB: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly checkpoints: { readonly at: number; readonly maxRssMiB: number }[];
}

/** In the child: warm up, then RUNS counted runs, each reported. */
async function child(scenario: Scenario): Promise<void> {
  const n = sizeOf(scenario);
  const counted = isF(scenario) ? 1 : RUNS;
  if (!isF(scenario)) await run(scenario, n);
  const samples: Sample[] = [];
  for (let i = 0; i < counted; i++) {
    const cpuBefore = process.cpuUsage();
    const start = performance.now();
    const observed = await run(scenario, n);
    const elapsedMs = performance.now() - start;
    const cpu = process.cpuUsage(cpuBefore);
    samples.push({
      msgsPerSecond: n / (elapsedMs / 1000),
      cpuUsPerMessage: (cpu.user + cpu.system) / n,
      maxRssMiB: process.resourceUsage().maxRSS / 1024,
      p50Ms: observed.latency.quantile(0.5),
      p99Ms: observed.latency.quantile(0.99),
      checkpoints: observed.checkpoints.map((c) => ({
        at: c.at,
        maxRssMiB: c.maxRssBytes / 1024 / 1024,
      })),
    });
  }
  process.send?.(samples);
}

function runChild(scenario: Scenario): Promise<Sample[]> {
  return new Promise((resolve, reject) => {
    const proc = fork(
      fileURLToPath(import.meta.url),
      ['--child', scenario, ...(smoke ? ['--smoke'] : [])],
      {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        env: { ...process.env, SLUICE_LOG_LEVEL: 'silent' },
      },
    );
    let sample: Sample[] | undefined;
    proc.once('message', (m) => (sample = m as Sample[]));
    proc.once('exit', (code) =>
      code === 0 && sample !== undefined
        ? resolve(sample)
        : reject(new Error(`${scenario} exited with code ${code}`)),
    );
  });
}

/** An idle Node process's peak RSS, to judge F against. */
function idleRss(): Promise<number> {
  return new Promise((resolve, reject) => {
    const proc = fork(fileURLToPath(import.meta.url), ['--idle'], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    proc.once('message', (m) => resolve(m as number));
    proc.once('error', reject);
  });
}

interface Summary {
  readonly scenario: Scenario;
  readonly n: number;
  readonly msgsPerSecond: { readonly median: number; readonly min: number; readonly max: number };
  readonly cpuUsPerMessage: number;
  readonly maxRssMiB: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly checkpoints: { readonly at: number; readonly maxRssMiB: number }[];
}

async function main(): Promise<void> {
  const childAt = process.argv.indexOf('--child');
  if (childAt !== -1) {
    await child(process.argv[childAt + 1] as Scenario);
    return;
  }
  if (process.argv.includes('--idle')) {
    process.send?.(process.resourceUsage().maxRSS / 1024);
    return;
  }
  const machine = `${availableParallelism()} cores (${cpus()[0]?.model.trim() ?? 'unknown cpu'}), node ${process.version}`;
  console.log(
    `sluice bench${smoke ? ' (smoke: small N, nothing measured)' : ''}: N = ${N.toLocaleString()}, ${RUNS} runs per scenario, ${machine}`,
  );
  const summaries: Summary[] = [];
  for (const scenario of SCENARIOS) {
    if (ONLY !== undefined && !ONLY.includes(scenario)) continue;
    const samples = await runChild(scenario);
    const rates = samples.map((s) => s.msgsPerSecond);
    // The checkpoints of the median run (F has a single run).
    const mid = samples.find((s) => s.msgsPerSecond === median(rates)) ?? samples[0];
    summaries.push({
      scenario,
      n: sizeOf(scenario),
      msgsPerSecond: { median: median(rates), min: Math.min(...rates), max: Math.max(...rates) },
      cpuUsPerMessage: median(samples.map((s) => s.cpuUsPerMessage)),
      maxRssMiB: median(samples.map((s) => s.maxRssMiB)),
      p50Ms: median(samples.map((s) => s.p50Ms)),
      p99Ms: median(samples.map((s) => s.p99Ms)),
      checkpoints: mid?.checkpoints ?? [],
    });
    process.stdout.write(`  ${scenario} done\n`);
  }

  const idle = await idleRss();
  const rows = summaries.map((s) => [
    s.scenario,
    s.n.toLocaleString(),
    formatRate(s.msgsPerSecond.median),
    `${formatRate(s.msgsPerSecond.min)} – ${formatRate(s.msgsPerSecond.max)}`,
    s.cpuUsPerMessage.toFixed(3),
    s.maxRssMiB.toFixed(1),
    s.p50Ms < 1 ? `${(s.p50Ms * 1000).toFixed(0)} µs` : `${s.p50Ms.toFixed(2)} ms`,
    s.p99Ms < 1 ? `${(s.p99Ms * 1000).toFixed(0)} µs` : `${s.p99Ms.toFixed(2)} ms`,
  ]);
  console.log();
  console.log(
    table(
      ['scenario', 'N', 'msgs/s', 'min – max', 'CPU µs/msg', 'peak RSS MiB', 'p50', 'p99'],
      rows,
    ),
  );

  const rate = (name: Scenario): number | undefined =>
    summaries.find((s) => s.scenario === name)?.msgsPerSecond.median;
  const ratio = (a: Scenario, b: Scenario, target: number) => {
    const x = rate(a);
    const y = rate(b);
    return x === undefined || y === undefined
      ? undefined
      : { name: `${a}/${b}`, value: x / y, target };
  };
  const ratios = [
    ratio('A', 'N2', 2.0),
    ratio('A', 'N1', 0.4),
    ratio('B', 'A', 0.8),
    ratio('C', 'A', 0.7),
    ratio('D', 'N1-json', 0.8),
  ].filter((r) => r !== undefined);
  console.log();
  console.log(
    table(
      ['ratio', 'value', 'target', ''],
      ratios.map((r) => [
        r.name,
        `${r.value.toFixed(2)}×`,
        `≥ ${r.target}×`,
        smoke ? '' : r.value >= r.target ? 'met' : 'MISSED',
      ]),
    ),
  );
  console.log();
  for (const f of summaries.filter((s) => isF(s.scenario))) {
    const first = f.checkpoints[0]?.maxRssMiB ?? 0;
    const last = f.checkpoints.at(-1)?.maxRssMiB ?? 0;
    const peak = Math.max(...f.checkpoints.map((c) => c.maxRssMiB));
    const verdict = smoke
      ? ''
      : ` — at 10M within 10% of 1M: ${last <= first * 1.1 ? 'met' : 'MISSED'}; at most 40 MiB above idle: ${peak - idle <= 40 ? 'met' : 'MISSED'}`;
    console.log(
      `${f.scenario}: peak RSS ${f.checkpoints.map((c) => `${c.maxRssMiB.toFixed(1)} MiB at ${(c.at / 1e6).toFixed(0)}M`).join(', ')}; idle node ${idle.toFixed(1)} MiB${verdict}`,
    );
  }
  const e = summaries.filter((s) => s.scenario.startsWith('E'));
  if (e.length > 0) {
    console.log(
      `E: ${e.map((s) => `concurrency ${s.scenario.slice(1)}: ${formatRate(s.msgsPerSecond.median)} msgs/s, ${s.maxRssMiB.toFixed(1)} MiB`).join('; ')}`,
    );
  }
  if (smoke) return;
  const resultsDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'results');
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(
    join(resultsDir, 'latest.json'),
    `${JSON.stringify({ date: new Date().toISOString(), machine, n: N, runs: RUNS, idleRssMiB: idle, summaries, ratios }, null, 2)}\n`,
  );
  console.log(`\nwrote bench/results/latest.json`);
}

await main();
