/**
 * The telemetry's overhead in `npm run bench` (alone: `npm run
 * bench:telemetry`): CPU µs per message that
 * `@sluice/prometheus` and `@sluice/otel` add to the same pipeline with no
 * instrumentation, every run a fresh process, scenarios interleaved in
 * rounds so a noisy moment on a shared machine hits them alike.
 *
 * The pipeline: a generator whose messages carry a `traceparent` header,
 * two processors, one batcher of 100. Scenarios:
 *
 * - `none`: nothing subscribes (the baseline);
 * - `prometheus`: the Prometheus exporter alone;
 * - `spans-out`: the Prometheus exporter and `@sluice/otel` traces, every
 *   span sampled out (AlwaysOff);
 * - `spans-in`: the same, every span sampled in (AlwaysOn) and exported
 *   through a BatchSpanProcessor to an exporter that drops them;
 * - `+otel-metrics`: as above, plus `@sluice/otel`'s metrics (the SDK's
 *   histogram per message);
 * - `sdk-span-out`, `sdk-span-in`, `sdk-histogram`: no Sluice
 *   instrumentation; one bare SDK span per message (started and ended,
 *   AlwaysOff or AlwaysOn, same processor) or one SDK histogram record,
 *   from a listener on the message events: the floor a span or a
 *   histogram per message costs on this machine;
 * - `sdk-process-span`: the process span `@sluice/otel` makes per message
 *   (its attributes, the message id, a link to the extracted
 *   `traceparent`), made with the bare SDK: what the span alone costs.
 *
 *   BENCH_TELEMETRY_N     messages per run (default 100,000)
 *   BENCH_TELEMETRY_RUNS  rounds (default 5)
 *   --smoke               one round at small N
 */
import { fork } from 'node:child_process';
import diagnostics from 'node:diagnostics_channel';
import { fileURLToPath } from 'node:url';
import { ROOT_CONTEXT, SpanKind, propagation, trace, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { pipelineChannels, type MessageStartEvent, type MessageStopEvent } from '@sluice/core';
import { instrumentSluice } from '@sluice/otel';
import { prometheusExporter } from '@sluice/prometheus';
import { median, table } from './stats.ts';
import { IdleReader, dropAll, runTracedPipeline } from './traced-pipeline.ts';

const SCENARIOS = [
  'none',
  'prometheus',
  'spans-out',
  'spans-in',
  'spans-out+otel-metrics',
  'spans-in+otel-metrics',
  'sdk-span-out',
  'sdk-span-in',
  'sdk-process-span',
  'sdk-histogram',
] as const;
type Scenario = (typeof SCENARIOS)[number];

const GOALS: Partial<Record<Scenario, number>> = { 'spans-out': 1, 'spans-in': 3 };
/** What a process span of the bench pipeline starts with. */
const PROCESS_ATTRIBUTES = {
  'messaging.system': 'sluice',
  'messaging.operation.type': 'process',
  'messaging.operation.name': 'process',
  'sluice.pipeline': 'telemetry-overhead',
  'sluice.processor': 'default',
};

function tracerProvider(sampledIn: boolean): BasicTracerProvider {
  return new BasicTracerProvider({
    sampler: sampledIn ? new AlwaysOnSampler() : new AlwaysOffSampler(),
    spanProcessors: [
      new BatchSpanProcessor(dropAll, { maxQueueSize: 65_536, maxExportBatchSize: 4096 }),
    ],
  });
}

function instrument(scenario: Scenario): void {
  if (scenario === 'none') return;
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const meterProvider = new MeterProvider({ readers: [new IdleReader()] });
  if (scenario === 'prometheus') {
    prometheusExporter();
    return;
  }
  if (scenario === 'sdk-span-out' || scenario === 'sdk-span-in') {
    const tracer: Tracer = tracerProvider(scenario === 'sdk-span-in').getTracer('bench');
    diagnostics.subscribe(pipelineChannels.messageStart, () => {
      tracer.startSpan('process', { root: true }, ROOT_CONTEXT).end();
    });
    return;
  }
  if (scenario === 'sdk-process-span') {
    // The span @sluice/otel makes per message, made by hand: attributes, id, link.
    const tracer: Tracer = tracerProvider(true).getTracer('bench');
    const options = { kind: SpanKind.CONSUMER, attributes: PROCESS_ATTRIBUTES };
    diagnostics.subscribe(pipelineChannels.messageStart, (e) => {
      const message = (e as MessageStartEvent).message;
      const span = tracer.startSpan('process', options, ROOT_CONTEXT);
      const headers = (message.metadata as { headers: Record<string, string> }).headers;
      const creation = trace.getSpanContext(propagation.extract(ROOT_CONTEXT, headers));
      if (creation !== undefined) span.addLink({ context: creation });
      span.setAttribute('messaging.message.id', String(message.id));
      span.end();
    });
    return;
  }
  if (scenario === 'sdk-histogram') {
    const histogram = meterProvider.getMeter('bench').createHistogram('duration', { unit: 's' });
    const attributes = { 'messaging.system': 'sluice', 'messaging.operation.type': 'process' };
    diagnostics.subscribe(pipelineChannels.messageStop, (e) => {
      histogram.record((e as MessageStopEvent).durationMs / 1000, attributes);
    });
    return;
  }
  prometheusExporter();
  instrumentSluice({
    tracerProvider: tracerProvider(scenario.startsWith('spans-in')),
    meterProvider,
    traces: true,
    metrics: scenario.endsWith('+otel-metrics'),
  });
}

/** In the child: a warm-up run, then one counted run; sends CPU µs per message. */
async function child(scenario: Scenario, n: number): Promise<void> {
  instrument(scenario);
  await runTracedPipeline('telemetry-overhead', Math.min(n, 20_000));
  const before = process.cpuUsage();
  await runTracedPipeline('telemetry-overhead', n);
  const cpu = process.cpuUsage(before);
  process.send?.((cpu.user + cpu.system) / n);
}

function runChild(scenario: Scenario, n: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const proc = fork(fileURLToPath(import.meta.url), ['--telemetry-child', scenario, String(n)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let sample: number | undefined;
    proc.once('message', (m) => (sample = m as number));
    proc.once('error', reject);
    proc.once('exit', (code) =>
      code === 0 && sample !== undefined
        ? resolve(sample)
        : reject(new Error(`telemetry scenario ${scenario} exited with code ${code}`)),
    );
  });
}

/** The parent's side: every scenario once per round; prints the table of medians. */
export async function telemetryOverhead(o: { readonly smoke: boolean }): Promise<void> {
  const n = o.smoke ? 2_000 : Number(process.env['BENCH_TELEMETRY_N'] ?? 100_000);
  const rounds = o.smoke ? 1 : Number(process.env['BENCH_TELEMETRY_RUNS'] ?? 5);
  console.log(
    `\ntelemetry overhead: N = ${n.toLocaleString()}, ${rounds} fresh-process runs per scenario (interleaved rounds)`,
  );
  const samples = new Map<Scenario, number[]>(SCENARIOS.map((s) => [s, []]));
  for (let round = 0; round < rounds; round++) {
    for (const s of SCENARIOS) samples.get(s)?.push(await runChild(s, n));
  }
  const base = median(samples.get('none') ?? []);
  const rows = SCENARIOS.map((s) => {
    const values = samples.get(s) ?? [];
    const cpu = median(values);
    const goal = GOALS[s];
    return [
      s,
      cpu.toFixed(2),
      `${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)}`,
      s === 'none' ? '' : (cpu - base).toFixed(2),
      goal === undefined ? '' : `< ${goal}${o.smoke ? '' : cpu - base < goal ? ' met' : ' MISSED'}`,
    ];
  });
  console.log(table(['scenario', 'CPU µs/msg', 'min–max', 'overhead µs/msg', 'goal'], rows));
  console.log('(overhead: median minus the median of none, same run; a loaded machine adds noise)');
}

const at = process.argv.indexOf('--telemetry-child');
if (at !== -1) {
  await child(process.argv[at + 1] as Scenario, Number(process.argv[at + 2]));
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await telemetryOverhead({ smoke: process.argv.includes('--smoke') });
}
