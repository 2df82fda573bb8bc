/**
 * `sluice run <file>`: starts the pipeline and runs it until its source is
 * exhausted (then drains and exits 0) or a signal arrives: the first
 * SIGTERM/SIGINT drains, a second one forces the exit (130).
 *
 * On a TTY it draws the live view on stderr (`../view/`, docs/live-view.md);
 * log records then go to a file, each shown once above the view and
 * counted in it. Otherwise it writes pino JSON logs to stderr, and a
 * progress line a second while something changes. stdout is left to the
 * data (the stdout sink).
 *
 * Exit codes: 0 everything acked; 1 stopped with messages un-acked (the
 * drain timed out), the source failed or could not be opened, or a stage
 * crashed; 2 invalid file; 130 forced.
 */
import diagnostics from 'node:diagnostics_channel';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createPipeline,
  pipelineChannels,
  stopOnSignals,
  type BatchProcessorStopEvent,
  type ProcessorStopEvent,
  type StopReport,
} from '@sluice/core';
import { pipelineDefinitionObject } from '@sluice/core/options';
import { build, type SourceEnd } from '../build.ts';
import { loadConfig, printable } from '../config/load.ts';
import type { PipelineConfig } from '../config/schema.ts';
import {
  exitOnSignal,
  setUp,
  tearDown,
  type HandlerContext,
  type Lifecycle,
} from '../lifecycle.ts';
import {
  createLogSink,
  startPipelineView,
  summarizeError,
  type PipelineView,
} from '../view/index.ts';
import { serveMetrics, type MetricsEndpoint } from './metrics.ts';
import { serveAdmin, type AdminEndpoint } from './admin.ts';
import { startOtlpTelemetry, type StopTelemetry } from '../telemetry/otlp.ts';
import { whenChanged } from './progress.ts';
import { runLogger } from './run-logger.ts';
import { reportInvalid } from './report.ts';

/** The drain's bound, which also bounds teardown, before a pipeline exists (core's default). */
const shutdownTimeoutOf = (definition: { shutdownTimeout?: number | undefined }): number =>
  pipelineDefinitionObject.shape.shutdownTimeout.parse(definition.shutdownTimeout);

interface RunOptions {
  readonly tty: boolean;
  readonly logLevel: string;
  /** `--admin-port`: serve @sluice/admin on this port. */
  readonly adminPort?: number | undefined;
}

export async function run(file: string, options: RunOptions): Promise<number> {
  // A TypeScript handler's stack frames then read file:line of its source.
  process.setSourceMapsEnabled(true);
  // With the live view on, records go to a file and one line each to the view.
  const logs = options.tty ? createLogSink(join(tmpdir(), `sluice-${process.pid}.log`)) : undefined;
  const log = runLogger(options.logLevel, logs?.stream);
  const logger = log.logger;
  let view: PipelineView | undefined;
  /** A start-up failure, told once with its cause: a JSON line, or one plain line on a terminal. */
  const failedToStart = (error: unknown): number => {
    view?.stop();
    const message = `pipeline ${pipelineName} failed to start: ${(error as Error)?.message ?? String(error)}`;
    if (options.tty) {
      console.error(`pipeline ${pipelineName} failed to start: ${summarizeError(error)}`);
    } else logger.error({ err: error }, message);
    logger.flush();
    return 1;
  };
  let pipelineName = '';
  let definition;
  let end: SourceEnd;
  let lifecycle: Lifecycle;
  let total: number | undefined;
  let config: PipelineConfig;
  try {
    const loaded = loadConfig(file);
    config = loaded.config;
    pipelineName = loaded.config.name;
    ({ definition, end, lifecycle } = await build(loaded, logger));
    if (loaded.config.producer.type === 'generator') {
      const { count } = loaded.config.producer;
      total = typeof count === 'number' ? count : undefined; // 'endless': no total
    }
    logger.info({ config: printable(loaded) }, `starting pipeline ${pipelineName}`);
  } catch (error) {
    return reportInvalid(file, error);
  }

  let stopTelemetry: StopTelemetry;
  try {
    stopTelemetry = await startOtlpTelemetry(config);
  } catch (error) {
    return failedToStart(error);
  }
  /** Once telemetry runs, every early return stops it too: pending spans are flushed. */
  const stopped = async (code: number): Promise<number> => {
    await stopTelemetry().catch((error: unknown) => {
      logger.warn({ err: error }, 'stopping telemetry failed');
    });
    logger.flush();
    return code;
  };
  let context: HandlerContext;
  try {
    context = await setUp(lifecycle, definition.context as HandlerContext | undefined);
  } catch (error) {
    return stopped(failedToStart(error));
  }
  let pipeline;
  try {
    pipeline = createPipeline({ ...definition, context });
  } catch (error) {
    await tearDown(lifecycle, context, shutdownTimeoutOf(definition), logger);
    return stopped(reportInvalid(file, error));
  }
  let metrics: MetricsEndpoint | undefined;
  if (config.telemetry?.prometheus !== undefined) {
    try {
      metrics = await serveMetrics(config.telemetry.prometheus, logger);
    } catch (error) {
      await tearDown(lifecycle, context, pipeline.definition.shutdownTimeout, logger);
      return stopped(failedToStart(error));
    }
  }
  let admin: AdminEndpoint | undefined;
  if (options.adminPort !== undefined) {
    try {
      admin = await serveAdmin(pipeline, options.adminPort, logger);
    } catch (error) {
      await metrics?.close();
      await admin?.close();
      await tearDown(lifecycle, context, pipeline.definition.shutdownTimeout, logger);
      return stopped(failedToStart(error));
    }
  }
  // The progress log line (no TTY) counts messages per stage.
  const stages = new Map<string, number>();
  const count = (stage: string, n: number): void =>
    void stages.set(stage, (stages.get(stage) ?? 0) + n);
  const onProcessor = (p: unknown): void => {
    const e = p as ProcessorStopEvent;
    if (e.pipeline === pipelineName) {
      count(
        `processors ${e.processor}`,
        e.successfulToAck.length + e.successfulToForward.length + e.failed.length,
      );
    }
  };
  const onBatch = (p: unknown): void => {
    const e = p as BatchProcessorStopEvent;
    if (e.pipeline === pipelineName) {
      count(`batcher ${e.batcher}`, e.successful.length + e.failed.length);
    }
  };
  if (logs !== undefined) {
    view = startPipelineView(pipeline, { logs, ...(total !== undefined && { total }) });
  } else {
    diagnostics.subscribe(pipelineChannels.processorStop, onProcessor);
    diagnostics.subscribe(pipelineChannels.batchProcessorStop, onBatch);
  }

  log.starting();
  try {
    await pipeline.start();
    log.started();
  } catch (error) {
    log.failedToStart(error);
    diagnostics.unsubscribe(pipelineChannels.processorStop, onProcessor);
    diagnostics.unsubscribe(pipelineChannels.batchProcessorStop, onBatch);
    exitOnSignal(1);
    await metrics?.close();
    await admin?.close();
    await tearDown(lifecycle, context, pipeline.definition.shutdownTimeout, logger);
    return stopped(failedToStart(error));
  }

  const started = performance.now();
  // A line when something moved since the last one: an idle pipeline stays quiet.
  const progress = whenChanged((p) => logger.info(p, 'progress'));
  const ticker =
    view === undefined
      ? setInterval(() => {
          const { backlog, ...counts } = pipeline.stats();
          // Without each sample's time: an idle pipeline's line stays the same.
          const waiting = backlog.map(({ at: _at, ...sample }) => sample);
          progress({
            ...counts,
            ...(waiting.length > 0 && { backlog: waiting }),
            stages: Object.fromEntries(stages),
          });
        }, 1000)
      : undefined;

  let drainOnSignals = (): void => {};
  const finished = new Promise<{ report: StopReport; reason: string; failed?: boolean }>(
    (resolve) => {
      drainOnSignals = stopOnSignals(pipeline, {
        onStopped: (report, signal) => resolve({ report, reason: `stopped by ${signal}` }),
        onForce: (signal) => {
          logger.error({ signal }, 'second signal: exiting without waiting for the drain');
          logger.flush();
          process.exit(130);
        },
      });
      // Once every message the source will send is in, stop: the drain acks
      // what is in flight within shutdownTimeout, so a handler that never
      // settles cannot keep the run alive past it.
      void end.exhausted.then(async ({ emitted }) => {
        while (pipeline.stats().received < emitted && pipeline.state === 'running') {
          await new Promise((r) => setTimeout(r, 20));
        }
        if (pipeline.state === 'running') {
          resolve({ report: await pipeline.stop(), reason: 'source exhausted' });
        }
      });
      void end.failed.then(async (error) => {
        if (pipeline.state !== 'running') return;
        logger.error({ err: error }, `the source of pipeline ${pipelineName} failed`);
        resolve({
          report: await pipeline.stop(),
          reason: `source failed: ${error.message}`,
          failed: true,
        });
      });
    },
  );
  const { report, reason, failed } = await finished;
  const code = report.unacked === 0 && failed !== true ? 0 : 1;
  // The pipeline has stopped: a signal from now on ends the process at once.
  drainOnSignals();
  exitOnSignal(code);
  clearInterval(ticker);
  view?.stop();
  diagnostics.unsubscribe(pipelineChannels.processorStop, onProcessor);
  diagnostics.unsubscribe(pipelineChannels.batchProcessorStop, onBatch);
  const s = pipeline.stats();
  const seconds = (performance.now() - started) / 1000;
  const head = `${pipelineName}: ${reason} after ${seconds.toFixed(1)}s`;
  const counts = `acked ${s.successful.toLocaleString()}, failed ${s.failed.toLocaleString()}, un-acked ${report.unacked}${report.timedOut ? ' (the drain timed out)' : ''}`;
  const summary = `${head}: ${counts}`;
  if (options.tty) {
    // Two lines: the first stays within 60 columns for short names.
    console.error(`${head}\n  ${counts}`);
    if (logs !== undefined && logs.lines().length > 0) console.error(`log records: ${logs.file}`);
  }
  logger.info({ ...s, unacked: report.unacked, timedOut: report.timedOut, reason }, summary);
  await metrics?.close();
  await tearDown(lifecycle, context, pipeline.definition.shutdownTimeout, logger);
  await stopTelemetry();
  logger.flush();
  return code;
}
