/**
 * `npm run bench`: Sluice pipelines against hand-written Node baselines,
 * measured in the same run on the same machine.
 *
 * Every counted run is a fresh process: it does an untimed warm-up of
 * BENCH_WARMUP messages (so the first calls are compiled, for the baselines
 * as for Sluice), then one timed run of N. Runs are interleaved: round 1
 * runs every scenario once, then round 2, … so a noisy moment on a shared
 * machine hits every scenario alike. The table shows medians over the
 * rounds: msgs/s (and min–max), CPU µs per message, the process's peak RSS,
 * and p50/p99/p99.9 latency from a message's emission to its ack. F runs
 * BENCH_F_RUNS times (default 1), without warm-up, so its RSS readings
 * start from a fresh heap. The footprint rows come from
 * bench/src/footprint.ts: an import-only process against a bare one.
 * Results also go to bench/results/latest.json.
 *
 *   BENCH_N       messages per run (default 1,000,000)
 *   BENCH_RUNS    rounds, i.e. fresh-process runs per scenario (default 5)
 *   BENCH_WARMUP  untimed messages before the timed run (default 1,000; 20,000 for G and NG;
 *                 a third of the run for E and P100)
 *   BENCH_G_N     messages per G/NG run (default 100,000, 2 s at 50k/s)
 *   BENCH_ONLY    comma-separated scenarios to run (default all; `footprint` too)
 *   --smoke       every scenario once at small N: checks the bench works, measures nothing
 */
import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  footprint,
  goalTable,
  goals,
  scenarioTable,
  summarise,
  type FootprintSample,
  type Sample,
  type Summary,
} from './pipeline/report.ts';
import { SCENARIOS, run, type Scenario } from './pipeline/scenarios.ts';
import { formatRate } from './stats.ts';

const smoke = process.argv.includes('--smoke');
const N = smoke ? 2_000 : Number(process.env['BENCH_N'] ?? 1_000_000);
const RUNS = smoke ? 1 : Number(process.env['BENCH_RUNS'] ?? 5);
const WARMUP = Number(process.env['BENCH_WARMUP'] ?? 1_000);
const ONLY = process.env['BENCH_ONLY']?.split(',');
const here = dirname(fileURLToPath(import.meta.url));

const isF = (scenario: Scenario): boolean => scenario === 'F';

/** How many messages a scenario moves: E is paced by its 1 ms timer, F is the long run. */
function sizeOf(scenario: Scenario): number {
  if (scenario.startsWith('E')) return Math.min(N, Number(scenario.slice(1)) * (smoke ? 5 : 300));
  if (scenario === 'P100') return sizeOf('E100');
  if (scenario === 'G' || scenario === 'NG') {
    return smoke ? 1_000 : Number(process.env['BENCH_G_N'] ?? 100_000);
  }
  if (isF(scenario)) return smoke ? 5_000 : Number(process.env['BENCH_F_N'] ?? 10_000_000);
  return N;
}

/**
 * Untimed messages before the timed run. G and NG are latency runs: their
 * warm-up is a paced run of 20,000 (0.4 s), so the timed run's tail is not
 * the JIT compiling the first bursts (measured: the first 10 % of a cold
 * G run had a p99 of 46 ms, the rest 0.3-1.3 ms; NG alike). E and its
 * baseline P100 spread their messages over 10 to 1,000 workers: 1,000
 * messages gave each of E100's processors 10, too few for V8 to compile
 * the processor's path, so the timed run was largely its warm-up (in the
 * same run, a warm-up of 10,000 took E100 from 49.9k to 64.7k msgs/s and
 * P100 from 74.3k to 76.8k). They warm up with a third of their run.
 */
function warmupOf(scenario: Scenario): number {
  if (scenario === 'G' || scenario === 'NG') return Math.max(WARMUP, 20_000);
  if (scenario.startsWith('E') || scenario === 'P100') {
    return Math.max(WARMUP, Math.round(sizeOf(scenario) / 3));
  }
  return WARMUP;
}

/** In the child: an untimed warm-up (not for F), then one timed run, reported. */
async function child(scenario: Scenario): Promise<void> {
  const n = sizeOf(scenario);
  if (!isF(scenario) && WARMUP > 0) await run(scenario, Math.min(n, warmupOf(scenario)));
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  const observed = await run(scenario, n);
  const elapsedMs = performance.now() - start;
  const cpu = process.cpuUsage(cpuBefore);
  const sample: Sample = {
    msgsPerSecond: n / (elapsedMs / 1000),
    cpuUsPerMessage: (cpu.user + cpu.system) / n,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    p50Ms: observed.latency.quantile(0.5),
    p99Ms: observed.latency.quantile(0.99),
    p999Ms: observed.latency.quantile(0.999),
    checkpoints: observed.checkpoints.map((c) => ({
      at: c.at,
      maxRssMiB: c.maxRssBytes / 1024 / 1024,
    })),
  };
  process.send?.(sample);
}

/** Forks `script` with `args` and resolves with the one message it sends. */
function forkOnce<T>(script: string, args: readonly string[], label: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const proc = fork(script, args, {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, SLUICE_LOG_LEVEL: 'silent' },
    });
    let reply: T | undefined;
    proc.once('message', (m) => (reply = m as T));
    proc.once('error', reject);
    proc.once('exit', (code) =>
      code === 0 && reply !== undefined
        ? resolve(reply)
        : reject(new Error(`${label} exited with code ${code}`)),
    );
  });
}

const runChild = (scenario: Scenario): Promise<Sample> =>
  forkOnce<Sample>(
    fileURLToPath(import.meta.url),
    ['--child', scenario, ...(smoke ? ['--smoke'] : [])],
    scenario,
  );

async function probe(mode: 'sluice' | 'bare'): Promise<FootprintSample> {
  const start = performance.now();
  const sample = await forkOnce<Omit<FootprintSample, 'wallMs'>>(
    join(here, 'footprint.js'),
    [mode],
    `footprint ${mode}`,
  );
  return { ...sample, wallMs: performance.now() - start };
}

async function main(): Promise<void> {
  const childAt = process.argv.indexOf('--child');
  if (childAt !== -1) {
    await child(process.argv[childAt + 1] as Scenario);
    return;
  }
  const machine = `${availableParallelism()} cores (${cpus()[0]?.model.trim() ?? 'unknown cpu'}), node ${process.version}`;
  console.log(
    `sluice bench${smoke ? ' (smoke: small N, nothing measured)' : ''}: N = ${N.toLocaleString()}, ${RUNS} fresh-process runs per scenario (interleaved rounds), warm-up ${WARMUP}, ${machine}`,
  );
  const wanted = (name: string): boolean => ONLY === undefined || ONLY.includes(name);
  const scenarios = SCENARIOS.filter(wanted);
  const fRuns = smoke ? 1 : Number(process.env['BENCH_F_RUNS'] ?? 1);
  const samples = new Map<Scenario, Sample[]>(scenarios.map((s) => [s, []]));
  const probes: FootprintSample[] = [];
  for (let round = 0; round < RUNS; round++) {
    if (wanted('footprint')) probes.push(await probe('bare'), await probe('sluice'));
    for (const scenario of scenarios) {
      if (isF(scenario) && round >= fRuns) continue;
      (samples.get(scenario) as Sample[]).push(await runChild(scenario));
    }
    process.stdout.write(`  round ${round + 1} of ${RUNS} done\n`);
  }
  const summaries: Summary[] = scenarios.map((s) =>
    summarise(s, sizeOf(s), samples.get(s) as Sample[]),
  );
  const fp = footprint(probes);

  console.log();
  console.log(scenarioTable(summaries));
  if (fp !== undefined) {
    console.log();
    console.log(
      `footprint (medians of ${RUNS} fresh processes): bare node ${fp.bare.rssMiB.toFixed(1)} MiB RSS, ${fp.bare.wallMs.toFixed(0)} ms spawn-to-exit; ` +
        `with import '@sluice/core' ${fp.sluice.rssMiB.toFixed(1)} MiB (+${fp.rssAboveBareMiB.toFixed(1)}), import ${fp.importMs.toFixed(1)} ms (${fp.sluice.importCpuMs.toFixed(1)} ms CPU), ${fp.sluice.wallMs.toFixed(0)} ms spawn-to-exit (+${fp.wallAboveBareMs.toFixed(0)})`,
    );
  }
  for (const f of summaries.filter((s) => isF(s.scenario) && s.checkpoints.length > 0)) {
    console.log(
      `F: peak RSS ${f.checkpoints.map((c) => `${c.maxRssMiB.toFixed(1)} MiB at ${(c.at / 1e6).toFixed(0)}M`).join(', ')}`,
    );
  }
  const e = summaries.filter((s) => s.scenario.startsWith('E'));
  if (e.length > 0) {
    console.log(
      `E: ${e.map((s) => `concurrency ${s.scenario.slice(1)}: ${formatRate(s.msgsPerSecond.median)} msgs/s, ${s.maxRssMiB.toFixed(1)} MiB`).join('; ')}`,
    );
  }
  const list = goals(summaries, fp);
  console.log();
  console.log(goalTable(list, smoke));
  if (smoke) return;
  const resultsDir = join(here, '..', 'results');
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(
    join(resultsDir, 'latest.json'),
    `${JSON.stringify({ date: new Date().toISOString(), machine, n: N, runs: RUNS, warmup: WARMUP, footprint: fp, summaries, goals: list }, null, 2)}\n`,
  );
  console.log(`\nwrote bench/results/latest.json`);
}

await main();

// The telemetry exporters' overhead per message, in the same run (bench/src/telemetry-overhead.ts).
if (!process.argv.includes('--child') && (ONLY === undefined || ONLY.includes('telemetry'))) {
  await (await import('./telemetry-overhead.ts')).telemetryOverhead({ smoke });
}
