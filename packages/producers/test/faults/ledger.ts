/**
 * The fault tests' consumer processes and their ledgers: which message
 * bodies each process handled, and the stop report it printed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('./fixtures/ledger-consumer.js', import.meta.url));

/** One consumer process and what it wrote. */
export interface Consumer {
  readonly child: ChildProcess;
  /** The body of each message handled, in order. */
  readonly handled: string[];
  /** The stop report, once it has exited after a drain. */
  report(): { unacked: number; timedOut: boolean } | undefined;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  /** True once the pipeline has started (and SIGTERM drains it). */
  started(): boolean;
}

/** Starts `fixtures/ledger-consumer.js`; see its header for the arguments. */
export function startConsumer(
  broker: 'rabbitmq' | 'sqs' | 'kafka',
  url: string,
  queue: string,
  shutdownTimeout: number,
  env: Record<string, string> = {},
): Consumer {
  const args = [script, broker, url, queue, String(shutdownTimeout), '5'];
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  const handled: string[] = [];
  let report: { unacked: number; timedOut: boolean } | undefined;
  let started = false;
  let buffered = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      if (line.startsWith('h ')) handled.push(line.slice(2));
      else if (line.startsWith('report ')) report = JSON.parse(line.slice(7)) as typeof report;
      else if (line === 'started') started = true;
    }
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  void exited.then((code) => {
    if (code !== 0 && stderr !== '') console.warn(`consumer stderr:\n${stderr}`);
  });
  return { child, handled, report: () => report, exited, started: () => started };
}

/** Waits for `test`, failing with `what` after `ms` (a guard against hangs, not a timing). */
export async function waitFor(what: string, test: () => boolean, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  while (!test()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Resolves with what `promise` gives, or `'hung'` after `ms` (a guard, not a timing). */
export function orHung<T>(promise: Promise<T>, ms: number): Promise<T | 'hung'> {
  return Promise.race([promise, new Promise<'hung'>((r) => setTimeout(() => r('hung'), ms))]);
}

/** Lost and duplicated messages (bodies `message-0` … `message-<total-1>`) across the ledgers. */
export function tally(
  total: number,
  ...ledgers: string[][]
): { lost: string[]; duplicates: number } {
  const seen = new Map<string, number>();
  for (const body of ledgers.flat()) seen.set(body, (seen.get(body) ?? 0) + 1);
  const lost: string[] = [];
  for (let i = 0; i < total; i++) if (!seen.has(`message-${i}`)) lost.push(`message-${i}`);
  let duplicates = 0;
  for (const n of seen.values()) duplicates += n - 1;
  return { lost, duplicates };
}
