/**
 * `startAdminServer`'s options: one zod schema, defaults in `.default()`,
 * descriptions in `.meta()`.
 */
import { z } from 'zod';

/** True for addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/** A registry that renders Prometheus text, such as prom-client's. */
export interface MetricsRegistry {
  metrics(): Promise<string>;
  readonly contentType: string;
}

const registry = z.custom<MetricsRegistry>(
  (v) =>
    typeof v === 'object' &&
    v !== null &&
    typeof (v as MetricsRegistry).metrics === 'function' &&
    typeof (v as MetricsRegistry).contentType === 'string',
  { error: 'expected a prom-client Registry (e.g. prometheusExporter().registry)' },
);

/** `startAdminServer`'s options. */
export const adminOptionsSchema = z
  .object({
    port: z
      .number({ error: 'expected a port number (0 picks a free one)' })
      .int({ error: 'expected a port number (0 picks a free one)' })
      .min(0, { error: 'expected a port number (0 picks a free one)' })
      .max(65535, { error: 'expected a port number (0 picks a free one)' })
      .meta({ description: 'The TCP port to listen on; 0 picks a free one.' }),
    host: z
      .string()
      .min(1, { error: 'expected a host name or address' })
      .default('127.0.0.1')
      .meta({
        description:
          'The address to bind. Any address other than loopback needs a `token`, or the server refuses to start.',
      }),
    token: z
      .string()
      .min(16, { error: 'expected a token of at least 16 characters' })
      .optional()
      .meta({
        description:
          'The bearer token the mutating routes (`POST /pause`, `/resume`, `/concurrency`, `/rate-limit`) require in `Authorization: Bearer <token>`. Without one they answer 403.',
      }),
    registry: registry.optional().meta({
      description:
        'Served at `GET /metrics`. Default: a `prometheusExporter()` from @sluice/prometheus when it is installed; without it `/metrics` answers 404 naming the package.',
    }),
  })
  .superRefine((o, ctx) => {
    if (o.token === undefined && o.host !== undefined && !isLoopback(o.host)) {
      ctx.addIssue({
        code: 'custom',
        path: ['token'],
        message: `a token is required to listen on ${o.host}, which is not a loopback address`,
      });
    }
  });

/** `startAdminServer`'s options, as given. */
export type AdminServerOptions = z.input<typeof adminOptionsSchema>;
