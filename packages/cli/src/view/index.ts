/**
 * `@sluice/cli/view`: the live terminal view of a running pipeline, shared
 * by `sluice run` and the examples. `startPipelineView` is the whole view;
 * the pieces (a telemetry collector, a pure renderer, the redraw loop, the
 * log sink, one-line error summaries) are exported for other views.
 */
export { startPipelineView, type PipelineView, type PipelineViewOptions } from './pipeline-view.ts';
export {
  createCollector,
  KAFKA_LAG_CHANNEL,
  type Collector,
  type CollectorOptions,
  type ObservedPipeline,
} from './collector.ts';
export { renderView, fit, count, duration, ms, type RenderOptions } from './render.ts';
export { LiveView, type LiveViewOptions } from './live.ts';
export { createLogSink, summarizeRecord, type LogSink } from './log-sink.ts';
export { summarizeError, errorLocation, formatLocation, type ErrorLocation } from './errors.ts';
export { RateMeter, DEFAULT_SMOOTHING_SECONDS } from './rate.ts';
export { LatencyWindow, type LatencySummary } from './latency.ts';
export type { ViewSnapshot, StageView, CountedLine } from './snapshot.ts';
