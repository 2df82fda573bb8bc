/**
 * `telemetry: { otlp: true }`: starts `@sluice/otel`'s OTLP export for the
 * run, telling it what the pipeline file says about the source (the
 * consumer group, the queue), and stops it once the run is over. The
 * three packages it needs are optional peer dependencies of the CLI,
 * loaded only here: a run without it loads no OpenTelemetry package.
 */
import { createRequire } from 'node:module';
import { SluiceError } from '@sluice/core';
import type { PipelineConfig } from '../config/schema.ts';

const require = createRequire(import.meta.url);

/** What OTLP export needs installed beside the CLI, with the versions to install. */
const PACKAGES = [
  ['@sluice/otel', '0.1.0'],
  ['@opentelemetry/api', '^1.9.0'],
  ['@opentelemetry/sdk-node', '>=0.200.0'],
] as const;

/** Stops the export, flushing what is pending. */
export type StopTelemetry = () => Promise<void>;

/** Starts OTLP export when the file asks for it; resolves to its stop function (a no-op otherwise). */
export async function startOtlpTelemetry(config: PipelineConfig): Promise<StopTelemetry> {
  if (config.telemetry?.otlp !== true) return () => Promise.resolve();
  const missing = PACKAGES.filter(([pkg]) => !installed(pkg));
  if (missing.length > 0) {
    const names = missing.map(([pkg]) => pkg);
    throw new SluiceError<'ERR_MISSING_LIBRARY'>(
      'ERR_MISSING_LIBRARY',
      `telemetry.otlp needs ${names.slice(0, -1).join(', ')}${names.length > 1 ? ' and ' : ''}${names.at(-1)}, ` +
        `which ${names.length === 1 ? 'is' : 'are'} not installed: ` +
        `run \`npm install ${missing.map(([pkg, range]) => `'${pkg}@${range}'`).join(' ')}\``,
    );
  }
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

function installed(pkg: string): boolean {
  try {
    require.resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

function queueName(queueUrl: string): string {
  return queueUrl.replace(/\/+$/, '').split('/').pop() ?? queueUrl;
}
