/**
 * `@sluice/prometheus`: Prometheus metrics for Sluice pipelines. The
 * exporter listens to the diagnostics channels of core and the producers;
 * the server serves what it keeps. docs/prometheus.md lists every metric.
 */
export { prometheusExporter, type PrometheusExporter } from './exporter.ts';
export { servePrometheus, type PrometheusServer } from './server.ts';
export {
  exporterOptionsSchema,
  serverOptionsSchema,
  type PrometheusExporterOptions,
  type PrometheusServerOptions,
} from './options.ts';
