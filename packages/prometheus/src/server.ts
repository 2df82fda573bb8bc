/**
 * `servePrometheus`: an HTTP endpoint Prometheus scrapes, serving one
 * registry at one path (`GET /metrics` by default); anything else is a 404.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseOptions } from '@sluice/core/options';
import { serverOptionsSchema, type PrometheusServerOptions } from './options.ts';

/** A listening metrics endpoint. */
export interface PrometheusServer {
  /** Where it is scraped, e.g. `http://0.0.0.0:9464/metrics`. */
  readonly url: string;
  /** The port it listens on (the one picked, with `port: 0`). */
  readonly port: number;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

/**
 * Serves `registry` over HTTP. Resolves once listening; rejects when the
 * port cannot be bound (e.g. `EADDRINUSE`, named with the address).
 */
export async function servePrometheus(options: PrometheusServerOptions): Promise<PrometheusServer> {
  const o = parseOptions(serverOptionsSchema, options, 'servePrometheus options');
  const server = createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0];
    if (request.method !== 'GET' || path !== o.path) {
      response
        .writeHead(404, { 'content-type': 'text/plain' })
        .end(`not found; try GET ${o.path}\n`);
      return;
    }
    o.registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': o.registry.contentType }).end(text),
      (error: unknown) =>
        response.writeHead(500, { 'content-type': 'text/plain' }).end(`${String(error)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) =>
      reject(
        new Error(`cannot serve Prometheus metrics on ${o.host}:${o.port}: ${error.message}`, {
          cause: error,
        }),
      ),
    );
    server.listen(o.port, o.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  const host = o.host.includes(':') ? `[${o.host}]` : o.host;
  return {
    url: `http://${host}:${port}${o.path}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
