/**
 * How every command reports a file it cannot use: shared by `run`,
 * `validate`, `topology` and `test`, so none of them imports another.
 */
import { ConfigError, formatProblem } from '../config/load.ts';

/** Prints a ConfigError's problems (or another startup error) to stderr; returns the exit code. */
export function reportInvalid(file: string, error: unknown): number {
  if (error instanceof ConfigError) {
    for (const p of error.problems) console.error(formatProblem(file, p));
    console.error(
      `${error.problems.length} problem${error.problems.length === 1 ? '' : 's'} in ${file}`,
    );
    return 2;
  }
  const code = (error as { code?: unknown }).code;
  if (code === 'ERR_INVALID_OPTIONS') {
    console.error(`${file}: ${(error as Error).message}`);
    return 2;
  }
  throw error;
}
