/**
 * Where `GET /metrics` comes from: the registry given, else a
 * `prometheusExporter()` from @sluice/prometheus when it is installed
 * (an optional peer dependency), else nothing.
 */
import type { MetricsRegistry } from './options.ts';

/** The metrics source of one admin server. */
export interface MetricsSource {
  readonly registry: MetricsRegistry | undefined;
  /** Why there is none, for the 404. */
  readonly missing: string | undefined;
  close(): void;
}

interface PrometheusModule {
  prometheusExporter(): { registry: MetricsRegistry; close(): void };
}

/** Loads @sluice/prometheus unless `given`; never throws. */
export async function metricsSource(given: MetricsRegistry | undefined): Promise<MetricsSource> {
  if (given !== undefined) return { registry: given, missing: undefined, close: () => undefined };
  const name = '@sluice/prometheus';
  let module: PrometheusModule;
  try {
    module = (await import(name)) as PrometheusModule;
  } catch (error) {
    return {
      registry: undefined,
      missing: `GET /metrics needs @sluice/prometheus, which could not be loaded (${(error as Error).message.split('\n')[0] ?? ''}): run \`npm install @sluice/prometheus prom-client\``,
      close: () => undefined,
    };
  }
  const exporter = module.prometheusExporter();
  return { registry: exporter.registry, missing: undefined, close: () => exporter.close() };
}
