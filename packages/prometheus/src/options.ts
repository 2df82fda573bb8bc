/**
 * The options of `prometheusExporter` and `servePrometheus`, one zod schema
 * each: defaults in `.default()`, descriptions in `.meta()`.
 */
import { z } from 'zod';
import type { Registry } from 'prom-client';

const isRegistry = (v: unknown): v is Registry =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as Registry).registerMetric === 'function' &&
  typeof (v as Registry).metrics === 'function';

const registry = z.custom<Registry>(isRegistry, {
  error: 'expected a prom-client Registry (new Registry(), or prom-client’s register)',
});

const bucketList = z
  .array(z.number().positive({ error: 'expected a positive number of seconds' }))
  .min(1, { error: 'expected at least one bucket' })
  .refine((b) => b.every((v, i) => i === 0 || v > (b[i - 1] as number)), {
    error: 'expected buckets in increasing order',
  });

/** `prometheusExporter`'s options. */
export const exporterOptionsSchema = z
  .object({
    registry: registry.optional().meta({
      description:
        "The prom-client registry the metrics are registered in. Default: a new one, so nothing is mixed with your app's metrics unless you pass prom-client's `register`.",
    }),
    prefix: z
      .string()
      .regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, {
        error: 'expected a metric name prefix: letters, digits and _, not starting with a digit',
      })
      .default('sluice_')
      .meta({ description: 'Put before every metric name.' }),
    durationBuckets: bucketList
      .default([0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30])
      .meta({
        description: 'Histogram buckets, in seconds, of the handler and batch durations.',
      }),
  })
  .strict();

/** What `prometheusExporter` takes. */
export type PrometheusExporterOptions = z.input<typeof exporterOptionsSchema>;

/** `servePrometheus`'s options. */
export const serverOptionsSchema = z
  .object({
    registry: registry.meta({ description: 'The registry served, e.g. `exporter.registry`.' }),
    port: z
      .number()
      .int()
      .min(0)
      .max(65535, { error: 'expected a TCP port, 0..65535' })
      .default(9464)
      .meta({ description: 'The TCP port; 0 picks a free one (read it from `server.url`).' }),
    host: z
      .string()
      .min(1)
      .default('0.0.0.0')
      .meta({ description: 'The address to listen on; `127.0.0.1` keeps it local.' }),
    path: z
      .string()
      .startsWith('/', { error: "expected a path starting with '/'" })
      .default('/metrics')
      .meta({ description: 'The path Prometheus scrapes.' }),
  })
  .strict();

/** What `servePrometheus` takes. */
export type PrometheusServerOptions = z.input<typeof serverOptionsSchema>;
