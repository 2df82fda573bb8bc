/**
 * `telemetry.prometheus` in a pipeline file: `@sluice/prometheus`'s server
 * options (port, host, path), without the registry `sluice run` supplies.
 */
import { serverOptionsSchema } from '@sluice/prometheus/options';

/** Serves the pipeline's metrics for Prometheus to scrape while `sluice run` runs. */
export const prometheusConfigSchema = serverOptionsSchema.omit({ registry: true }).meta({
  description:
    'Serves Prometheus metrics (docs/prometheus.md) while `sluice run` runs, e.g. `{ port: 9464 }`; `{}` takes the defaults.',
});

/** A validated `telemetry.prometheus`. */
export type PrometheusConfig = NonNullable<ReturnType<typeof prometheusConfigSchema.parse>>;
