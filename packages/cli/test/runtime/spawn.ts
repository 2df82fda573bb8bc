/**
 * Runs the built `sluice` binary as a user does, for the runtime tests:
 * waits for what it writes, sends it signals, and reports how it ended.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export const BIN = resolve(import.meta.dirname, '../../dist/bin.js');
export const EXAMPLE = resolve(
  import.meta.dirname,
  '../../../../examples/config-driven/pipeline.yaml',
);

/** A child that has not exited by then hangs: it is killed and reported as such. */
const KILL_AFTER_MS = 30_000;

/** How a run ended. */
export interface Ended {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Killed by the guard: it did not exit by itself. */
  readonly hung: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

/** A running `sluice`. */
export interface Running {
  readonly child: ChildProcessWithoutNullStreams;
  /** Resolves once stderr matches `pattern` (or rejects when the child ends first). */
  stderrMatches(pattern: RegExp): Promise<void>;
  readonly ended: Promise<Ended>;
}

export function startSluice(
  args: readonly string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): Running {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run npm run build first`);
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? process.cwd(),
    env: { ...process.env, SLUICE_DEBUG: '', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin.end();
  let stdout = '';
  let stderr = '';
  let hung = false;
  const waiters: { pattern: RegExp; done: () => void }[] = [];
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    for (const w of [...waiters]) {
      if (w.pattern.test(stderr)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.done();
      }
    }
  });
  const guard = setTimeout(() => {
    hung = true;
    child.kill('SIGKILL');
  }, KILL_AFTER_MS);
  const ended = new Promise<Ended>((done, fail) => {
    child.once('error', fail);
    child.once('close', (code, signal) => {
      clearTimeout(guard);
      done({ code, signal, hung, stdout, stderr });
    });
  });
  return {
    child,
    ended,
    stderrMatches: (pattern) =>
      new Promise<void>((done, fail) => {
        if (pattern.test(stderr)) return done();
        waiters.push({ pattern, done });
        void ended.then((e) =>
          fail(
            new Error(
              `sluice ended (code ${e.code}) before stderr matched ${pattern}:\n${e.stderr}`,
            ),
          ),
        );
      }),
  };
}

/** Runs `sluice` to its end. */
export function runSluice(
  args: readonly string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): Promise<Ended> {
  return startSluice(args, options).ended;
}

/** The JSON log lines on stderr. */
export function logLines(stderr: string): Record<string, unknown>[] {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
