/**
 * `sluice run --admin-port N`: the @sluice/admin server for the run's
 * pipeline, started before the pipeline (so `/readyz` answers 503 while it
 * starts) and closed after it. The token comes from `SLUICE_ADMIN_TOKEN`
 * (never the command line, where `ps` would show it), the address from
 * `SLUICE_ADMIN_HOST` (default 127.0.0.1).
 */
import type { Logger, Pipeline } from '@sluice/core';

/** A running admin server. */
export interface AdminEndpoint {
  readonly url: string;
  close(): Promise<void>;
}

/** Starts the admin server; rejects when the port cannot be bound or the options are refused. */
export async function serveAdmin(
  pipeline: Pipeline,
  port: number,
  logger: Logger,
): Promise<AdminEndpoint> {
  const { startAdminServer } = await import('@sluice/admin');
  const token = process.env['SLUICE_ADMIN_TOKEN'];
  const host = process.env['SLUICE_ADMIN_HOST'];
  const server = await startAdminServer(pipeline, {
    port,
    ...(host !== undefined && host !== '' && { host }),
    ...(token !== undefined && token !== '' && { token }),
  });
  logger.info(
    { url: server.url, mutating: token !== undefined && token !== '' },
    `admin server at ${server.url} (/livez, /readyz, /stats, /topology, /metrics; POST /pause, /resume, /concurrency, /rate-limit ${token ? 'with SLUICE_ADMIN_TOKEN' : 'disabled: set SLUICE_ADMIN_TOKEN'})`,
  );
  return server;
}
