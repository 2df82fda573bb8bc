/**
 * `startAdminServer`: plain `node:http`, one pipeline. Read routes are
 * open; the mutating routes need `Authorization: Bearer <token>`, compared
 * in constant time, and answer 403 when the server has no token at all.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Pipeline } from '@sluice/core';
import { parseOptions } from '@sluice/core/options';
import { metricsSource } from './metrics.ts';
import { adminOptionsSchema, type AdminServerOptions } from './options.ts';
import { PAGE } from './page.ts';
import { reads, snapshot, writes, type Reply } from './routes.ts';
import { StageCounters } from './stage-stats.ts';

/** A listening admin server. */
export interface AdminServer {
  /** Its base URL, e.g. `http://127.0.0.1:9465`. */
  readonly url: string;
  /** The port it listens on (the one picked, with `port: 0`). */
  readonly port: number;
  /** Stops listening, closes open connections and the metrics exporter it started. */
  close(): Promise<void>;
}

const json = (response: ServerResponse, reply: Reply): void => {
  response
    .writeHead(reply.status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
    .end(
      `${JSON.stringify(reply.body, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}\n`,
    );
};

/** Constant-time check of `Authorization: Bearer <token>`. */
function authorized(request: IncomingMessage, token: string): boolean {
  const header = request.headers.authorization ?? '';
  const given = Buffer.from(header.startsWith('Bearer ') ? header.slice(7) : '');
  const wanted = Buffer.from(token);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

/** Bodies above this are refused: the routes take a few small fields. */
const MAX_BODY = 16 * 1024;

/** The request's JSON body, or undefined when empty; rejects naming what is wrong with it. */
async function readBody(request: IncomingMessage): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new Error(`request body over ${MAX_BODY} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new Error(`request body is not JSON (${(error as Error).message})`, { cause: error });
  }
}

/**
 * Serves health probes, stats, topology and metrics of `pipeline`, and
 * pause/resume, over HTTP. Resolves once listening. Throws
 * `ERR_INVALID_OPTIONS` for bad options, including a non-loopback `host`
 * without a `token`; rejects when the port cannot be bound.
 *
 * @example
 * ```ts
 * const admin = await startAdminServer(pipeline, { port: 9465, token: process.env.ADMIN_TOKEN });
 * // GET /livez, /readyz, /stats, /topology, /metrics; POST /pause, /resume, /concurrency, /rate-limit
 * ```
 */
export async function startAdminServer(
  pipeline: Pipeline,
  options: AdminServerOptions,
): Promise<AdminServer> {
  const o = parseOptions(adminOptionsSchema, options, 'startAdminServer options');
  const metrics = await metricsSource(o.registry);
  const stages = new StageCounters(pipeline);
  const routes = ['/', ...Object.keys(reads), '/metrics', '/events'].map((r) => `GET ${r}`);
  /** Open `/events` streams: each gets the stats every second. */
  const streams = new Set<ServerResponse>();
  const ticker = setInterval(() => {
    if (streams.size === 0) return;
    const line = `data: ${JSON.stringify(snapshot(pipeline, stages), (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}\n\n`;
    for (const s of streams) s.write(line);
  }, 1000);
  ticker.unref();
  routes.push(...Object.keys(writes).map((r) => `POST ${r}`));

  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const read = reads[path];
    const write = writes[path];
    if (request.method === 'GET' && read !== undefined) {
      return json(response, read(pipeline, stages));
    }
    if (request.method === 'GET' && path === '/') {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
      return;
    }
    if (request.method === 'GET' && path === '/events') {
      response.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      });
      response.write(`data: ${JSON.stringify(snapshot(pipeline, stages))}\n\n`);
      streams.add(response);
      request.on('close', () => streams.delete(response));
      return;
    }
    if (request.method === 'GET' && path === '/metrics') {
      if (metrics.registry === undefined) {
        return json(response, { status: 404, body: { error: metrics.missing } });
      }
      const { contentType } = metrics.registry;
      metrics.registry.metrics().then(
        (text) => response.writeHead(200, { 'content-type': contentType }).end(text),
        (error: unknown) => json(response, { status: 500, body: { error: String(error) } }),
      );
      return;
    }
    if (request.method === 'POST' && write !== undefined) {
      if (o.token === undefined) {
        return json(response, {
          status: 403,
          body: { error: `POST ${path} is disabled: start the admin server with a token` },
        });
      }
      if (!authorized(request, o.token)) {
        response.setHeader('www-authenticate', 'Bearer');
        return json(response, {
          status: 401,
          body: { error: `POST ${path} needs the header Authorization: Bearer <token>` },
        });
      }
      readBody(request).then(
        (body) => json(response, write(pipeline, body)),
        (error: unknown) =>
          json(response, {
            status: 400,
            body: {
              error: `POST ${path}: ${error instanceof Error ? error.message : String(error)}`,
            },
          }),
      );
      return;
    }
    const known = read !== undefined || write !== undefined || routes.includes(`GET ${path}`);
    return json(response, {
      status: known ? 405 : 404,
      body: {
        error: `${known ? 'method not allowed' : 'not found'}: ${String(request.method)} ${path}`,
        routes,
      },
    });
  };

  const server = createServer((request, response) => {
    try {
      handle(request, response);
    } catch (error) {
      json(response, { status: 500, body: { error: String(error) } });
    }
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error) =>
        reject(
          new Error(`cannot start the admin server on ${o.host}:${o.port}: ${error.message}`, {
            cause: error,
          }),
        ),
      );
      server.listen(o.port, o.host, resolve);
    });
  } catch (error) {
    clearInterval(ticker);
    metrics.close();
    stages.close();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const host = o.host.includes(':') ? `[${o.host}]` : o.host;
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(ticker);
        metrics.close();
        stages.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
