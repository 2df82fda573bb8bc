/**
 * Helpers for the packaging tests: run a command to its end, and find out
 * whether the npm registry answers (the tests install third-party packages).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** The repository's root. */
export const ROOT = resolve(import.meta.dirname, '..');

/** What a finished command printed, and how it ended. */
export interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `command` with `args` in `cwd`, with this process's Node first on
 * PATH (so `npx` and `#!/usr/bin/env node` scripts run on the Node under
 * test), and resolves when it exits. Kills it after `timeout` ms.
 */
export function run(
  command: string,
  args: readonly string[],
  cwd: string,
  { env = {}, timeout = 300_000 }: { env?: Record<string, string>; timeout?: number } = {},
): Promise<Ran> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd,
      env: {
        ...process.env,
        PATH: `${dirname(process.execPath)}:${process.env['PATH'] ?? ''}`,
        npm_config_audit: 'false',
        npm_config_fund: 'false',
        npm_config_update_notifier: 'false',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolvePromise({ code, stdout, stderr }));
  });
}

/** Throws with the command's output unless it exited 0; returns its stdout. */
export async function ok(
  command: string,
  args: readonly string[],
  cwd: string,
  options?: Parameters<typeof run>[3],
): Promise<string> {
  const ran = await run(command, args, cwd, options);
  if (ran.code !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} exited ${ran.code}\n${ran.stdout.slice(-4000)}\n${ran.stderr.slice(-4000)}`,
    );
  }
  return ran.stdout;
}

/**
 * Why the packaging tests cannot run here (the registry does not answer
 * `npm ping` within 20 s), or undefined when they can. Under CI (`CI` set
 * and not `0`/`false`), an unreachable registry is an error instead.
 */
export async function registryProblem(): Promise<string | undefined> {
  const ping = await run('npm', ['ping'], ROOT, { timeout: 20_000 });
  if (ping.code === 0) return undefined;
  const lines = ping.stderr.trim().split('\n');
  const said =
    lines.findLast((line) => /error/i.test(line)) ??
    (ping.code === null ? 'no answer within 20 s' : `exit ${ping.code}`);
  const reason = `the npm registry is unreachable (npm ping: ${said})`;
  const ci = process.env['CI'];
  if (ci !== undefined && ci !== '' && ci !== '0' && ci !== 'false') {
    throw new Error(`${reason}; CI is set, so the packaging tests must run`);
  }
  console.warn(`skipping the packaging tests: ${reason}`);
  return reason;
}

/**
 * The published packages: every `packages/<name>` workspace of the root
 * package.json, so a new package is packed and checked without editing a list.
 */
export const PUBLISHED: readonly string[] = (
  JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { workspaces: string[] }
).workspaces
  .filter((w) => w.startsWith('packages/'))
  .map((w) => w.slice('packages/'.length));
