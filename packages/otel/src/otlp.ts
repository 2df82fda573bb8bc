/**
 * `@sluice/otel/otlp`: starts the OpenTelemetry Node SDK, configured by the
 * standard `OTEL_*` environment variables (`OTEL_EXPORTER_OTLP_ENDPOINT`,
 * `OTEL_EXPORTER_OTLP_PROTOCOL`, `OTEL_SERVICE_NAME`, `OTEL_TRACES_SAMPLER`,
 * `OTEL_METRICS_EXPORTER`…), then {@link instrumentSluice}. The SDK and
 * the API are optional peer dependencies, loaded only here: what the
 * `sluice` command runs for `telemetry: { otlp: true }`.
 */
import { createRequire } from 'node:module';
import { SluiceError } from '@sluice/core';
import type { OtelOptions } from './options.ts';

const require = createRequire(import.meta.url);

/** The packages OTLP export needs, with the versions to install. */
const PACKAGES = [
  ['@opentelemetry/api', '^1.9.0'],
  ['@opentelemetry/sdk-node', '>=0.200.0'],
] as const;

/** Running OTLP export; `shutdown` flushes what is pending and stops it. */
export interface OtlpTelemetry {
  shutdown(): Promise<void>;
}

interface NodeSdk {
  start(): void;
  shutdown(): Promise<void>;
}

/**
 * Starts OTLP export of Sluice's traces and metrics.
 *
 * @param options `instrumentSluice`'s options (the providers are the SDK's)
 * @throws SluiceError `ERR_MISSING_LIBRARY` naming every missing package
 *   and the command that installs them
 */
export async function startOtlp(
  options: Omit<OtelOptions, 'tracerProvider' | 'meterProvider'> = {},
): Promise<OtlpTelemetry> {
  const missing = PACKAGES.filter(([pkg]) => !installed(pkg));
  if (missing.length > 0) {
    const names = missing.map(([pkg]) => pkg);
    throw new SluiceError<'ERR_MISSING_LIBRARY'>(
      'ERR_MISSING_LIBRARY',
      `OTLP export needs ${names.join(' and ')}, which ${missing.length === 1 ? 'is' : 'are'} not installed: ` +
        `run \`npm install ${missing.map(([pkg, range]) => `'${pkg}@${range}'`).join(' ')}\``,
    );
  }
  const { NodeSDK } = require('@opentelemetry/sdk-node') as {
    NodeSDK: new (config?: object) => NodeSdk;
  };
  const sdk = new NodeSDK();
  sdk.start();
  const { instrumentSluice } = await import('./instrumentation.ts');
  const instrumentation = instrumentSluice(options);
  return {
    async shutdown() {
      instrumentation.disable();
      await sdk.shutdown();
    },
  };
}

function installed(pkg: string): boolean {
  try {
    require.resolve(pkg);
    return true;
  } catch {
    return false;
  }
}
