/**
 * `npm run bench:prometheus`: what the Prometheus exporter costs per
 * message. Scenario A (producer → 2 processors → ack) and B (A + a
 * batcher), each without the exporter (the baseline) and with it
 * subscribed, every variant in a fresh process, measured in the same run:
 * one warm-up run, then RUNS counted runs of N. Reports the median CPU µs
 * per message and msgs/s, and the exporter's cost (CPU µs/msg with − without).
 * `+noop` subscribes empty listeners to the same channels: what core's
 * observed path costs by itself, apart from prom-client's work.
 *
 *   BENCH_N     messages per run (default 500,000)
 *   BENCH_RUNS  counted runs per variant (default 5)
 *   --smoke     each variant once at small N: checks the bench works
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import diagnostics from 'node:diagnostics_channel';
import { pipelineChannels } from '@sluice/core';
import { prometheusExporter } from '@sluice/prometheus';
import { run, type Scenario } from './pipeline/scenarios.ts';
import { formatRate, median, table } from './stats.ts';

const smoke = process.argv.includes('--smoke');
const N = smoke ? 2_000 : Number(process.env['BENCH_N'] ?? 500_000);
const RUNS = smoke ? 1 : Number(process.env['BENCH_RUNS'] ?? 5);
const VARIANTS = ['A', 'A+noop', 'A+prometheus', 'B', 'B+noop', 'B+prometheus'] as const;
type Variant = (typeof VARIANTS)[number];

interface Sample {
  readonly msgsPerSecond: number;
  readonly cpuUsPerMessage: number;
}

/** Empty listeners on every pipeline channel, as the exporter subscribes them. */
function subscribeNoop(): void {
  for (const name of Object.values(pipelineChannels)) diagnostics.subscribe(name, () => undefined);
}

async function child(variant: Variant): Promise<void> {
  const [scenario, exporter] = variant.split('+') as [Scenario, string | undefined];
  if (exporter === 'prometheus') prometheusExporter();
  if (exporter === 'noop') subscribeNoop();
  await run(scenario, N);
  const samples: Sample[] = [];
  for (let i = 0; i < RUNS; i++) {
    const cpuBefore = process.cpuUsage();
    const start = performance.now();
    await run(scenario, N);
    const elapsedMs = performance.now() - start;
    const cpu = process.cpuUsage(cpuBefore);
    samples.push({
      msgsPerSecond: N / (elapsedMs / 1000),
      cpuUsPerMessage: (cpu.user + cpu.system) / N,
    });
  }
  process.send?.(samples);
}

function runChild(variant: Variant): Promise<Sample[]> {
  return new Promise((resolve, reject) => {
    const proc = fork(
      fileURLToPath(import.meta.url),
      ['--child', variant, ...(smoke ? ['--smoke'] : [])],
      {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        env: { ...process.env, SLUICE_LOG_LEVEL: 'silent' },
      },
    );
    let samples: Sample[] | undefined;
    proc.once('message', (m) => (samples = m as Sample[]));
    proc.once('exit', (code) =>
      code === 0 && samples !== undefined
        ? resolve(samples)
        : reject(new Error(`${variant} exited with code ${code}`)),
    );
  });
}

async function main(): Promise<void> {
  const at = process.argv.indexOf('--child');
  if (at !== -1) {
    await child(process.argv[at + 1] as Variant);
    return;
  }
  console.log(
    `prometheus bench${smoke ? ' (smoke)' : ''}: N = ${N.toLocaleString()}, ${RUNS} runs per variant, node ${process.version}`,
  );
  const results = new Map<Variant, { rate: number; cpu: number }>();
  for (const v of VARIANTS) {
    const samples = await runChild(v);
    results.set(v, {
      rate: median(samples.map((s) => s.msgsPerSecond)),
      cpu: median(samples.map((s) => s.cpuUsPerMessage)),
    });
  }
  const rows = VARIANTS.map((v) => {
    const r = results.get(v) as { rate: number; cpu: number };
    const base = results.get(v.split('+')[0] as Variant) as { rate: number; cpu: number };
    const extra = v.includes('+')
      ? `+${(r.cpu - base.cpu).toFixed(3)} µs/msg, ${(r.rate / base.rate).toFixed(2)}× msgs/s`
      : 'baseline';
    return [v, formatRate(r.rate), r.cpu.toFixed(3), extra];
  });
  console.log();
  console.log(table(['variant', 'msgs/s', 'CPU µs/msg', 'vs baseline'], rows));
}

await main();
