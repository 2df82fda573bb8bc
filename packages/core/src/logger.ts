/**
 * The logging seam. Sluice logs through any pino-compatible logger; without
 * one it uses a quiet default that writes warnings and errors to stderr as
 * JSON (level from `SLUICE_LOG_LEVEL`, default `warn`).
 */
import { pino } from 'pino';

/** The subset of pino's API Sluice uses. A pino logger satisfies it. */
export interface Logger {
  error(object: object, message?: string): void;
  warn(object: object, message?: string): void;
  info(object: object, message?: string): void;
  debug(object: object, message?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

let fallback: Logger | undefined;

/** The logger used when none is given: pino at `SLUICE_LOG_LEVEL` (default `warn`) on stderr. */
export function defaultLogger(): Logger {
  fallback ??= pino(
    { name: 'sluice', level: process.env['SLUICE_LOG_LEVEL'] ?? 'warn' },
    pino.destination({ fd: 2, sync: true }),
  );
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
