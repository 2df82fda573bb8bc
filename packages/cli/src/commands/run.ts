/**
 * `sluice run <file>`: starts the pipeline and runs it until its source is
 * exhausted (then drains and exits 0) or a signal arrives: the first
 * SIGTERM/SIGINT drains, a second one forces the exit (130).
 *
 * On a TTY it redraws a live view on stderr (rate per stage, in flight,
 * acked, failed); otherwise it writes pino JSON logs to stderr, a progress
 * line a second. stdout is left to the data (the stdout sink).
 *
 * Exit codes: 0 everything acked; 1 stopped with messages un-acked (the
 * drain timed out), the source failed or could not be opened, or a stage
 * crashed; 2 invalid file; 130 forced.
 */
import diagnostics from 'node:diagnostics_channel';
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
import {
  exitOnSignal,
  setUp,
  tearDown,
  type HandlerContext,
  type Lifecycle,
} from '../lifecycle.ts';
import { whenChanged } from './progress.ts';
import { runLogger } from './run-logger.ts';
import { reportInvalid } from './report.ts';

/** The drain's bound, which also bounds teardown, before a pipeline exists (core's default). */
const shutdownTimeoutOf = (definition: { shutdownTimeout?: number | undefined }): number =>
  pipelineDefinitionObject.shape.shutdownTimeout.parse(definition.shutdownTimeout);

interface RunOptions {
  readonly tty: boolean;
  readonly logLevel: string;
}

export async function run(file: string, options: RunOptions): Promise<number> {
  const log = runLogger(options.tty ? 'warn' : options.logLevel);
  const logger = log.logger;
  /** A start-up failure, told once with its cause: a JSON line, or one plain line on a terminal. */
  const failedToStart = (error: unknown): number => {
    const message = `pipeline ${pipelineName} failed to start: ${(error as Error)?.message ?? String(error)}`;
    if (options.tty) console.error(message);
    else logger.error({ err: error }, message);
    logger.flush();
    return 1;
  };
  let pipelineName = '';
  let definition;
  let end: SourceEnd;
  let lifecycle: Lifecycle;
  try {
    const loaded = loadConfig(file);
    pipelineName = loaded.config.name;
    ({ definition, end, lifecycle } = await build(loaded, logger));
    if (!options.tty) {
      logger.info({ config: printable(loaded) }, `starting pipeline ${pipelineName}`);
    }
  } catch (error) {
    return reportInvalid(file, error);
  }

  let context: HandlerContext;
  try {
    context = await setUp(lifecycle, definition.context as HandlerContext | undefined);
  } catch (error) {
    return failedToStart(error);
  }
  let pipeline;
  try {
    pipeline = createPipeline({ ...definition, context });
  } catch (error) {
    await tearDown(lifecycle, context, shutdownTimeoutOf(definition), logger);
    return reportInvalid(file, error);
  }
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
  diagnostics.subscribe(pipelineChannels.processorStop, onProcessor);
  diagnostics.subscribe(pipelineChannels.batchProcessorStop, onBatch);

  log.starting();
  try {
    await pipeline.start();
    log.started();
  } catch (error) {
    log.failedToStart(error);
    diagnostics.unsubscribe(pipelineChannels.processorStop, onProcessor);
    diagnostics.unsubscribe(pipelineChannels.batchProcessorStop, onBatch);
    exitOnSignal(1);
    await tearDown(lifecycle, context, pipeline.definition.shutdownTimeout, logger);
    return failedToStart(error);
  }

  const started = performance.now();
  let previous = { at: started, stages: new Map<string, number>() };
  let drawn = 0;
  const view = (): string[] => {
    const now = performance.now();
    const s = pipeline.stats();
    const seconds = (now - previous.at) / 1000;
    const rates = [...stages.entries()].map(([stage, n]) => {
      const rate = (n - (previous.stages.get(stage) ?? 0)) / Math.max(seconds, 0.001);
      return `${stage} ${Math.round(rate).toLocaleString()}/s`;
    });
    previous = { at: now, stages: new Map(stages) };
    return [
      `${pipelineName}  ${((now - started) / 1000).toFixed(1)}s  received ${s.received.toLocaleString()}  in flight ${s.inFlight.toLocaleString()}  acked ${s.successful.toLocaleString()}  failed ${s.failed.toLocaleString()}`,
      `  ${rates.length > 0 ? rates.join('   ') : 'waiting for messages'}`,
    ];
  };
  // A line when something moved since the last one: an idle pipeline stays quiet.
  const progress = whenChanged((p) => logger.info(p, 'progress'));
  const ticker = setInterval(
    () => {
      if (options.tty) {
        const lines = view();
        // stderr: stdout is for data (the stdout sink).
        process.stderr.write(
          `${drawn > 0 ? `\u001b[${drawn}A` : ''}${lines.map((l) => `\r${l}\u001b[K`).join('\n')}\n`,
        );
        drawn = lines.length;
      } else {
        progress({ ...pipeline.stats(), stages: Object.fromEntries(stages) });
      }
    },
    options.tty ? 250 : 1000,
  );

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
  diagnostics.unsubscribe(pipelineChannels.processorStop, onProcessor);
  diagnostics.unsubscribe(pipelineChannels.batchProcessorStop, onBatch);
  const s = pipeline.stats();
  const seconds = (performance.now() - started) / 1000;
  const summary = `${pipelineName}: ${reason} after ${seconds.toFixed(1)}s: acked ${s.successful.toLocaleString()}, failed ${s.failed.toLocaleString()}, un-acked ${report.unacked}${report.timedOut ? ' (the drain timed out)' : ''}`;
  if (options.tty) console.error(summary);
  logger.info({ ...s, unacked: report.unacked, timedOut: report.timedOut, reason }, summary);
  await tearDown(lifecycle, context, pipeline.definition.shutdownTimeout, logger);
  logger.flush();
  return code;
}
