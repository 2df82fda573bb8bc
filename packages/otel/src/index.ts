/**
 * @sluice/otel: OpenTelemetry traces and metrics for Sluice pipelines,
 * following the messaging semantic conventions. Call
 * {@link instrumentSluice} once, after setting up the OpenTelemetry SDK;
 * docs/otel.md lists every span, attribute and metric.
 */
export {
  INSTRUMENTATION_NAME,
  INSTRUMENTATION_VERSION,
  OUTGOING_CHANNEL,
  instrumentSluice,
  type SluiceInstrumentation,
} from './instrumentation.ts';
export {
  otelOptionsSchema,
  pipelineHintsSchema,
  type OtelOptions,
  type PipelineHints,
  type ResolvedOtelOptions,
} from './options.ts';
export { traceparentFromXray } from './source.ts';
