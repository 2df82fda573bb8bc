import type { Logger } from '../src/logger.ts';

/** Waits event-loop turns (not time) until `predicate` holds. */
export async function until(predicate: () => boolean, turns = 10_000): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (predicate()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`condition not met after ${turns} event-loop turns`);
}

/** Lets every stage run until nothing is left to do (a few event-loop turns). */
export async function settle(turns = 20): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
}

export interface LogLine {
  level: 'error' | 'warn' | 'info' | 'debug';
  object: object;
  message: string | undefined;
}

/** A logger that records what it was given, for assertions. */
export function memoryLogger(lines: LogLine[] = []): Logger & { lines: LogLine[] } {
  const make = (bindings: object): Logger & { lines: LogLine[] } => ({
    lines,
    error: (object, message) =>
      lines.push({ level: 'error', object: { ...bindings, ...object }, message }),
    warn: (object, message) =>
      lines.push({ level: 'warn', object: { ...bindings, ...object }, message }),
    info: (object, message) =>
      lines.push({ level: 'info', object: { ...bindings, ...object }, message }),
    debug: (object, message) =>
      lines.push({ level: 'debug', object: { ...bindings, ...object }, message }),
    child: (more) => make({ ...bindings, ...more }),
  });
  return make({});
}

/** A promise with its resolve and reject exposed. */
export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
