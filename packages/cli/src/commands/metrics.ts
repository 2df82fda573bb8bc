/**
 * `telemetry.prometheus` for `sluice run`: the exporter and its HTTP
 * endpoint, started before the pipeline and closed after it. Loaded only
 * when the file asks for it, so a run without it loads no prom-client.
 */
import type { Logger } from '@sluice/core';
import type { PrometheusConfig } from '../config/telemetry-schema.ts';

/** A running endpoint. */
export interface MetricsEndpoint {
  readonly url: string;
  close(): Promise<void>;
}

/** Starts the exporter and serves it; rejects (exporter closed) when the port cannot be bound. */
export async function serveMetrics(
  config: PrometheusConfig,
  logger: Logger,
): Promise<MetricsEndpoint> {
  const { prometheusExporter, servePrometheus } = await import('@sluice/prometheus');
  const exporter = prometheusExporter();
  try {
    const server = await servePrometheus({ ...config, registry: exporter.registry });
    logger.info({ url: server.url }, `serving Prometheus metrics at ${server.url}`);
    return {
      url: server.url,
      async close() {
        exporter.close();
        await server.close();
      },
    };
  } catch (error) {
    exporter.close();
    throw error;
  }
}
