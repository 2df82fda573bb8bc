/**
 * What the producers' tests share: a logger that keeps its lines, a bounded
 * wait for a condition, and a loopback TCP proxy that can cut every
 * connection through it at once, as a network failure would.
 */
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import type { Logger } from '@sluice/core';

/** One log line. */
export interface LogLine {
  readonly level: string;
  readonly fields: Record<string, unknown>;
  readonly msg: string;
}

/** A pino-shaped logger that writes nothing and keeps every line. */
export function memoryLogger(lines: LogLine[] = []): Logger & { lines: LogLine[] } {
  const at =
    (level: string) =>
    (fields: unknown, msg?: string): void => {
      if (typeof fields === 'string') lines.push({ level, fields: {}, msg: fields });
      else lines.push({ level, fields: (fields ?? {}) as Record<string, unknown>, msg: msg ?? '' });
    };
  const logger = {
    lines,
    error: at('error'),
    warn: at('warn'),
    info: at('info'),
    debug: at('debug'),
    trace: at('trace'),
    fatal: at('fatal'),
    child: () => logger,
  };
  return logger;
}

/** Polls `check` every 5 ms until it is truthy; rejects after `timeoutMs` saying what it waited for. */
export async function waitFor<T>(
  what: string,
  check: () => T | Promise<T>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A loopback TCP proxy to `target`; `drop()` destroys every piped socket. */
export class DropProxy {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  port = 0;
  drops = 0;

  readonly target: { host: string; port: number };

  constructor(target: { host: string; port: number }) {
    this.target = target;
    this.#server = createServer((client) => {
      const upstream = netConnect(target);
      this.#sockets.add(client);
      this.#sockets.add(upstream);
      const forget = (): void => {
        this.#sockets.delete(client);
        this.#sockets.delete(upstream);
        client.destroy();
        upstream.destroy();
      };
      client.on('error', forget).on('close', forget);
      upstream.on('error', forget).on('close', forget);
      client.pipe(upstream);
      upstream.pipe(client);
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.port = (this.#server.address() as { port: number }).port;
    return this.port;
  }

  /** Destroys every socket through the proxy: both ends see the connection die. */
  drop(): void {
    this.drops++;
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
  }

  async close(): Promise<void> {
    this.drop();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
