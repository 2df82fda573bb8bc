/**
 * The logging seam. Sluice logs through any pino-compatible logger; without
 * one it uses a quiet default that writes warnings and errors to stderr as
 * JSON (level from `SLUICE_LOG_LEVEL`, default `warn`).
 *
 * The default loads pino only when it first writes a line: a pipeline that
 * never logs a warning never pays pino's import (about 8 MiB of RSS and
 * 25 ms), and `import '@sluice/core'` stays light.
 */
import { createRequire } from 'node:module';
import type * as Pino from 'pino';

/** The subset of pino's API Sluice uses. A pino logger satisfies it. */
export interface Logger {
  error(object: object, message?: string): void;
  warn(object: object, message?: string): void;
  info(object: object, message?: string): void;
  debug(object: object, message?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

/** pino's numeric levels, to skip disabled calls without loading pino. */
const LEVELS: Readonly<Record<string, number>> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: Infinity,
};

/** The root pino logger, built on the first line written. */
function loadPino(level: string): Logger {
  const { pino } = createRequire(import.meta.url)('pino') as typeof Pino;
  return pino({ name: 'sluice', level }, pino.destination({ fd: 2, sync: true }));
}

/** A logger that becomes a pino logger (or child) the first time it writes. */
class LazyLogger implements Logger {
  readonly #threshold: number;
  readonly #make: () => Logger;
  #real: Logger | undefined;

  constructor(threshold: number, make: () => Logger) {
    this.#threshold = threshold;
    this.#make = make;
  }

  #logger(): Logger {
    return (this.#real ??= this.#make());
  }

  error(object: object, message?: string): void {
    if (this.#threshold <= 50) this.#logger().error(object, message);
  }

  warn(object: object, message?: string): void {
    if (this.#threshold <= 40) this.#logger().warn(object, message);
  }

  info(object: object, message?: string): void {
    if (this.#threshold <= 30) this.#logger().info(object, message);
  }

  debug(object: object, message?: string): void {
    if (this.#threshold <= 20) this.#logger().debug(object, message);
  }

  child(bindings: Record<string, unknown>): Logger {
    return new LazyLogger(this.#threshold, () => this.#logger().child(bindings));
  }
}

let fallback: Logger | undefined;

/** The logger used when none is given: pino at `SLUICE_LOG_LEVEL` (default `warn`) on stderr. */
export function defaultLogger(): Logger {
  if (fallback !== undefined) return fallback;
  const level = process.env['SLUICE_LOG_LEVEL'] ?? 'warn';
  const threshold = LEVELS[level];
  // An unknown level: pino's own error names it, now rather than at the first line.
  fallback =
    threshold === undefined ? loadPino(level) : new LazyLogger(threshold, () => loadPino(level));
  return fallback;
}

/**
 * A logger that drops everything: for tests, benchmarks and child processes
 * whose output is parsed. Errors still reach telemetry and the callers that
 * see them; only the log lines are gone.
 *
 * @example
 * ```ts
 * createPipeline({ name: 'orders', logger: silentLogger, ... });
 * ```
 */
export const silentLogger: Logger = {
  error: () => undefined,
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
  child: () => silentLogger,
};
