/**
 * `telemetry: { otlp: true }`: starts `@sluice/otel`'s OTLP export for the
 * run, telling it what the pipeline file says about the source (the
 * consumer group, the queue), and stops it once the run is over. Loaded
 * lazily: a run without it loads no OpenTelemetry package.
 */
import type { PipelineConfig } from '../config/schema.ts';

/** Stops the export, flushing what is pending. */
export type StopTelemetry = () => Promise<void>;

/** Starts OTLP export when the file asks for it; resolves to its stop function (a no-op otherwise). */
export async function startOtlpTelemetry(config: PipelineConfig): Promise<StopTelemetry> {
  if (config.telemetry?.otlp !== true) return () => Promise.resolve();
  const { startOtlp } = await import('@sluice/otel/otlp');
  const telemetry = await startOtlp({ pipelines: { [config.name]: hintsOf(config.producer) } });
  return () => telemetry.shutdown();
}

/** What a broker producer's options say about its source, in OpenTelemetry's words. */
function hintsOf(producer: PipelineConfig['producer']): {
  destination?: string;
  consumerGroup?: string;
} {
  const p = producer as { type: string; groupId?: unknown; queue?: unknown; queueUrl?: unknown };
  switch (p.type) {
    case 'kafka':
      return typeof p.groupId === 'string' ? { consumerGroup: p.groupId } : {};
    case 'rabbitmq':
      return typeof p.queue === 'string' ? { destination: p.queue } : {};
    case 'sqs':
      return typeof p.queueUrl === 'string' ? { destination: queueName(p.queueUrl) } : {};
    default:
      return {};
  }
}

function queueName(queueUrl: string): string {
  return queueUrl.replace(/\/+$/, '').split('/').pop() ?? queueUrl;
}
