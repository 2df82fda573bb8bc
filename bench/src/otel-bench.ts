/**
 * `npm run bench:otel`: what `@sluice/otel` costs per message, against the
 * same pipeline with no instrumentation, measured in the same run.
 *
 * The pipeline: a generator whose messages carry a `traceparent` header
 * (set by a transformer, in every scenario), two processors, one batcher of
 * 100. Scenarios, each in a fresh process, one warm-up run then RUNS runs:
 *
 * - `none`: nobody subscribes (the baseline);
 * - `listeners`: empty listeners on the channels `@sluice/otel` uses: what
 *   core's observed path costs before any OpenTelemetry work;
 * - `metrics`: `instrumentSluice({ traces: false })`;
 * - `spans-out`: spans only, with the AlwaysOff sampler;
 * - `spans-in`: spans only, AlwaysOn, through a BatchSpanProcessor to an
 *   exporter that drops them;
 * - `spans-out+metrics`, `spans-in+metrics`: both.
 *
 * The overhead is the median CPU µs per message minus the baseline's.
 *
 *   BENCH_N     messages per run (default 200,000)
 *   BENCH_RUNS  counted runs per scenario (default 5)
 *   --smoke     each scenario once at small N
 */
import { fork } from 'node:child_process';
import diagnostics from 'node:diagnostics_channel';
import { availableParallelism, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { propagation } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { pipelineChannels } from '@sluice/core';
import { instrumentSluice } from '@sluice/otel';
import { median, table } from './stats.ts';
import { IdleReader, dropAll, runTracedPipeline } from './traced-pipeline.ts';

const smoke = process.argv.includes('--smoke');
const N = smoke ? 2_000 : Number(process.env['BENCH_N'] ?? 200_000);
const RUNS = smoke ? 1 : Number(process.env['BENCH_RUNS'] ?? 5);
const SCENARIOS = [
  'none',
  'listeners',
  'metrics',
  'spans-out',
  'spans-in',
  'spans-out+metrics',
  'spans-in+metrics',
] as const;
type Scenario = (typeof SCENARIOS)[number];

function instrument(scenario: Scenario): void {
  if (scenario === 'none') return;
  if (scenario === 'listeners') {
    const nothing = (): void => undefined;
    for (const name of [
      pipelineChannels.messageStart,
      pipelineChannels.messageStop,
      pipelineChannels.messageException,
      pipelineChannels.batchProcessorStart,
      pipelineChannels.batchProcessorStop,
      pipelineChannels.ack,
    ]) {
      diagnostics.subscribe(name, nothing);
    }
    return;
  }
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const tracerProvider = new BasicTracerProvider({
    sampler: scenario.startsWith('spans-in') ? new AlwaysOnSampler() : new AlwaysOffSampler(),
    spanProcessors: [
      new BatchSpanProcessor(dropAll, { maxQueueSize: 65_536, maxExportBatchSize: 4096 }),
    ],
  });
  const meterProvider = new MeterProvider({ readers: [new IdleReader()] });
  instrumentSluice({
    tracerProvider,
    meterProvider,
    traces: scenario !== 'metrics',
    metrics: scenario === 'metrics' || scenario.endsWith('+metrics'),
  });
}

async function child(scenario: Scenario): Promise<void> {
  instrument(scenario);
  await runTracedPipeline('otel-bench', N);
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const before = process.cpuUsage();
    await runTracedPipeline('otel-bench', N);
    const cpu = process.cpuUsage(before);
    samples.push((cpu.user + cpu.system) / N);
  }
  process.send?.(samples);
}

function runChild(scenario: Scenario): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const proc = fork(
      fileURLToPath(import.meta.url),
      ['--child', scenario, ...(smoke ? ['--smoke'] : [])],
      {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      },
    );
    let samples: number[] | undefined;
    proc.once('message', (m) => (samples = m as number[]));
    proc.once('exit', (code) =>
      code === 0 && samples !== undefined
        ? resolve(samples)
        : reject(new Error(`${scenario} exited with code ${code}`)),
    );
  });
}

async function main(): Promise<void> {
  const at = process.argv.indexOf('--child');
  if (at !== -1) {
    await child(process.argv[at + 1] as Scenario);
    return;
  }
  const machine = `${availableParallelism()} cores (${cpus()[0]?.model.trim() ?? 'unknown cpu'}), node ${process.version}`;
  console.log(
    `sluice otel bench${smoke ? ' (smoke)' : ''}: N = ${N.toLocaleString()}, ${RUNS} runs per scenario, ${machine}`,
  );
  const results = new Map<Scenario, number[]>();
  for (const scenario of SCENARIOS) results.set(scenario, await runChild(scenario));
  const base = median(results.get('none') ?? []);
  const rows = SCENARIOS.map((scenario) => {
    const samples = results.get(scenario) ?? [];
    const cpu = median(samples);
    return [
      scenario,
      cpu.toFixed(2),
      `${Math.min(...samples).toFixed(2)}–${Math.max(...samples).toFixed(2)}`,
      scenario === 'none' ? '' : (cpu - base).toFixed(2),
      (cpu / base).toFixed(2),
    ];
  });
  console.log(table(['scenario', 'CPU µs/msg', 'min–max', 'overhead µs/msg', 'vs none'], rows));
}

await main();
