/**
 * Whether the broker a test is about to stop belongs to this checkout.
 * `scripts/brokers.sh up` starts each JVM broker with
 * `-Dsluice.broker=<name>@<checkout>/.brokers` as its first argument, and
 * its `down` stops only the processes carrying its own checkout's marker.
 * A test that stops a broker (to test an outage) must check this first:
 * stopping a broker another checkout started breaks that checkout's run,
 * and `down` here would not stop it anyway, so the test would wait for an
 * outage that never comes.
 */
import { execFile } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { brokersRequired, type Env } from './availability.ts';

/** The brokers `scripts/brokers.sh` runs as its own JVM processes. */
export type OwnedBrokerName = 'kafka' | 'elasticmq';

/** A running process: its pid and full command line. */
export interface ProcessInfo {
  readonly pid: number;
  readonly args: string;
}

/** Run, skip or fail a suite that stops a broker; `message` says why not. */
export type BrokerOwnershipDecision =
  { readonly action: 'run' } | { readonly action: 'skip' | 'fail'; readonly message: string };

/** Options of {@link decideBrokerOwnership}. */
export interface BrokerOwnershipOptions {
  /** The checkout whose `scripts/brokers.sh` the suite runs (its root directory). */
  readonly root: string;
  /** @defaultValue `process.env` */
  readonly env?: Env;
}

const MARKER = /-Dsluice\.broker=([a-z]+)@(\S+)/;

/**
 * Decides, from the running processes, whether a suite that stops and
 * restarts `broker` through `<root>/scripts/brokers.sh` may run: only when
 * a `broker` started by that checkout's `brokers.sh` is running. Otherwise
 * it skips with a message naming who owns the broker, or fails with it
 * when `SLUICE_REQUIRE_BROKERS=1`. Pure: the processes are an input.
 *
 * @example
 * ```ts
 * decideBrokerOwnership('kafka', [{ pid: 7, args: 'java -Dsluice.broker=kafka@/other/.brokers …' }], { root: '/mine', env: {} });
 * // { action: 'skip', message: '[sluice] skipping tests that stop Kafka: … started by /other …' }
 * ```
 */
export function decideBrokerOwnership(
  broker: OwnedBrokerName,
  processes: readonly ProcessInfo[],
  options: BrokerOwnershipOptions,
): BrokerOwnershipDecision {
  const state = join(options.root, '.brokers');
  const others: string[] = [];
  for (const p of processes) {
    const m = MARKER.exec(p.args);
    if (m === null || m[1] !== broker) continue;
    if (m[2] === state) return { action: 'run' };
    others.push(`pid ${p.pid}, started by ${m[2]?.replace(/\/\.brokers$/, '')}`);
  }
  const label = broker === 'kafka' ? 'Kafka' : 'ElasticMQ';
  const why =
    others.length > 0
      ? `the running ${label} was started by another checkout's scripts/brokers.sh (${others.join('; ')}), and other runs may be using it`
      : `no ${label} started by this checkout's scripts/brokers.sh is running (a broker from Docker, the system or another checkout must not be stopped by a test)`;
  const hint =
    others.length > 0
      ? `stop it where it was started, then run \`npm run brokers:up\` in ${options.root}`
      : `run \`npm run brokers:up\` in ${options.root} (once nothing else listens on its port)`;
  return brokersRequired(options.env ?? process.env)
    ? {
        action: 'fail',
        message: `[sluice] tests that stop ${label} need a ${label} of their own (SLUICE_REQUIRE_BROKERS=1), but ${why} — ${hint}`,
      }
    : {
        action: 'skip',
        message: `[sluice] skipping tests that stop ${label}: ${why} — ${hint}`,
      };
}

/** The running processes with their command lines (`ps`); empty if `ps` fails. */
export async function listProcesses(): Promise<ProcessInfo[]> {
  try {
    const { stdout } = await promisify(execFile)('ps', ['-e', '-ww', '-o', 'pid=,args='], {
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout.split('\n').flatMap((line) => {
      const m = /^\s*(\d+)\s+(.*)$/.exec(line);
      return m === null ? [] : [{ pid: Number(m[1]), args: m[2] ?? '' }];
    });
  } catch {
    return [];
  }
}

/**
 * {@link decideBrokerOwnership} for the processes running now. `root` is
 * resolved as `brokers.sh` does (`pwd -P`), so a symlinked checkout matches.
 */
export async function checkBrokerOwnership(
  broker: OwnedBrokerName,
  options: BrokerOwnershipOptions,
): Promise<BrokerOwnershipDecision> {
  let root = options.root.replace(/\/+$/, '');
  try {
    root = realpathSync(root);
  } catch {
    // a root that does not exist owns nothing; the decision says so
  }
  return decideBrokerOwnership(broker, await listProcesses(), { ...options, root });
}
