/**
 * The live view of one pipeline: telemetry collected, a frame drawn four
 * times a second, log lines above it. `sluice run` and the examples use it.
 */
import { createCollector, type ObservedPipeline } from './collector.ts';
import { LiveView } from './live.ts';
import type { LogSink } from './log-sink.ts';
import { renderView } from './render.ts';

/** Options of {@link startPipelineView}. */
export interface PipelineViewOptions {
  /** How many messages the source will send, when known: shows progress and ETA. */
  readonly total?: number;
  /** Where to draw (default `process.stderr`). */
  readonly stream?: NodeJS.WriteStream;
  /** Milliseconds between frames (default 250). */
  readonly intervalMs?: number;
  /**
   * The log sink the pipeline's logger writes to: its lines are shown above
   * the view the first time, then counted in it.
   */
  readonly logs?: LogSink;
}

/** A running pipeline view. */
export interface PipelineView {
  /** Writes a line above the view. */
  log(line: string): void;
  /** Stops redrawing and leaves the last frame on screen. */
  stop(): void;
}

/**
 * Draws `pipeline`'s live view on a terminal until `stop()`. Start it
 * after `createPipeline` (it reads the topology) and before `start()` to
 * count from the first message.
 */
export function startPipelineView(
  pipeline: ObservedPipeline,
  options: PipelineViewOptions = {},
): PipelineView {
  const collector = createCollector(pipeline, {
    ...(options.total !== undefined && { total: options.total }),
  });
  const logs = options.logs;
  const view = new LiveView({
    render: (width) =>
      renderView(
        collector.snapshot(
          logs === undefined ? { logs: [] } : { logs: logs.lines(), logFile: logs.file },
        ),
        { width },
      ),
    ...(options.stream !== undefined && { stream: options.stream }),
    ...(options.intervalMs !== undefined && { intervalMs: options.intervalMs }),
  });
  if (logs !== undefined) logs.onNewLine = (line) => view.log(line);
  view.start();
  return {
    log: (line) => view.log(line),
    stop() {
      view.stop();
      if (logs !== undefined) logs.onNewLine = undefined;
      collector.close();
    },
  };
}
