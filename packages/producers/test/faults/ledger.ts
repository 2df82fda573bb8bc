/**
 * The fault tests' consumer processes and their ledgers: which message
 * bodies each process handled, and the stop report it printed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe } from 'vitest';

const script = fileURLToPath(new URL('./fixtures/ledger-consumer.js', import.meta.url));

/** One consumer process and what it wrote. */
export interface Consumer {
  readonly child: ChildProcess;
  /** The body of each message handled, in order. */
  readonly handled: string[];
  /** When (`performance.now()`) this test read each line of {@link handled}. */
  readonly handledAt: number[];
  /** The messages the broker redelivered, and when each was handled (`performance.now()`). */
  readonly redelivered: { readonly body: string; readonly at: number }[];
  /** The warnings and errors the pipeline logged (an outage, a reconnect). */
  readonly warnings: string[];
  /** The stop report, once it has exited after a drain. */
  report(): { unacked: number; timedOut: boolean } | undefined;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  /** True once the pipeline has started (and SIGTERM drains it). */
  started(): boolean;
}

/** Starts `fixtures/ledger-consumer.js`; see its header for the arguments. */
export function startConsumer(
  broker: 'rabbitmq' | 'sqs' | 'kafka' | 'redis' | 'nats',
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
  const handledAt: number[] = [];
  const redelivered: { body: string; at: number }[] = [];
  const warnings: string[] = [];
  let report: { unacked: number; timedOut: boolean } | undefined;
  let started = false;
  let buffered = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    const now = performance.now();
    for (const line of lines) {
      if (line.startsWith('h ')) {
        handled.push(line.slice(2));
        handledAt.push(now);
      } else if (line.startsWith('r ')) redelivered.push({ body: line.slice(2), at: now });
      else if (line.startsWith('w ')) warnings.push(line.slice(2));
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
  return {
    child,
    handled,
    handledAt,
    redelivered,
    warnings,
    report: () => report,
    exited,
    started: () => started,
  };
}

/**
 * Waits for `test`, failing with `what` after `ms` (a guard against hangs, not
 * a timing); `detail` adds what the test saw to the failure's message.
 */
export async function waitFor(
  what: string,
  test: () => boolean,
  ms = 60_000,
  detail?: () => string,
): Promise<void> {
  const until = Date.now() + ms;
  while (!test()) {
    if (Date.now() > until) {
      const seen = detail === undefined ? '' : ` (${detail()})`;
      throw new Error(`timed out waiting for ${what}${seen}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Resolves with what `promise` gives, or `'hung'` after `ms` (a guard, not a timing). */
export function orHung<T>(promise: Promise<T>, ms: number): Promise<T | 'hung'> {
  return Promise.race([promise, new Promise<'hung'>((r) => setTimeout(() => r('hung'), ms))]);
}

/** When (`performance.now()`) `consumer` handled its first message after `since`, if it has. */
export function firstAfter(consumer: Consumer, since: number): number | undefined {
  return consumer.handledAt.find((at) => at > since);
}

/**
 * Lost and duplicated messages (bodies `message-0` … `message-<total-1>`) across the
 * ledgers: `duplicates` counts the extra handlings, `duplicated` names the
 * bodies handled more than once.
 */
export function tally(
  total: number,
  ...ledgers: string[][]
): { lost: string[]; duplicates: number; duplicated: string[] } {
  const seen = new Map<string, number>();
  for (const body of ledgers.flat()) seen.set(body, (seen.get(body) ?? 0) + 1);
  const lost: string[] = [];
  for (let i = 0; i < total; i++) if (!seen.has(`message-${i}`)) lost.push(`message-${i}`);
  let duplicates = 0;
  const duplicated: string[] = [];
  for (const [body, n] of seen) {
    duplicates += n - 1;
    if (n > 1) duplicated.push(body);
  }
  return { lost, duplicates, duplicated };
}

/**
 * `describe` for a fault suite that can start its brokers only when
 * `unavailable` is undefined. Otherwise it is skipped, saying why, or, with
 * SLUICE_REQUIRE_BROKERS=1 (CI), run so that its `beforeAll` fails with the
 * reason: call {@link requireBrokers} there.
 */
export function describeFaults(
  name: string,
  unavailable: string | undefined,
  fn: () => void,
): void {
  const required = process.env['SLUICE_REQUIRE_BROKERS'] === '1';
  if (unavailable !== undefined && !required) console.warn(`skipping the ${name}: ${unavailable}`);
  describe.skipIf(unavailable !== undefined && !required)(name, fn);
}

/** Throws the reason a fault suite cannot start its brokers, if there is one. */
export function requireBrokers(unavailable: string | undefined): void {
  if (unavailable !== undefined) throw new Error(`cannot run the fault tests: ${unavailable}`);
}
