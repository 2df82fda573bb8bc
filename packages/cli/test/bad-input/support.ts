/**
 * The CLI's bad-input checks (issue 15): the built `sluice` binary run on a
 * bad file or bad flags must end by itself, with the expected exit code, a
 * message naming the field, the value and the expectation, no stack trace,
 * and never a secret the input held.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect } from 'vitest';

export const BIN = resolve(import.meta.dirname, '../../dist/bin.js');

/** One bad invocation. */
export interface CliRow {
  readonly name: string;
  readonly args: readonly string[];
  /** Files written to a fresh directory first (the cwd), by name. */
  readonly files?: Readonly<Record<string, string>>;
  readonly env?: Readonly<Record<string, string>>;
  readonly code: number;
  /** Substrings of stderr: the field, the value, the expectation. */
  readonly says: readonly string[];
  /** A password or token the input holds; it must appear nowhere in the output. */
  readonly secret?: string;
}

/** A child that has not exited by then hangs: it is killed and the row fails. */
const KILL_AFTER_MS = 60_000;

export interface Outcome {
  readonly code: number | null;
  readonly killed: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

export function runSluice(row: CliRow): Promise<Outcome> {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run npm run build first`);
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bad-'));
  for (const [name, text] of Object.entries(row.files ?? {})) {
    if (name.endsWith('/')) mkdirSync(join(dir, name));
    else writeFileSync(join(dir, name), text);
  }
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...row.args], {
      cwd: dir,
      env: { ...process.env, SLUICE_DEBUG: '', ...row.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, KILL_AFTER_MS);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', fail);
    child.once('close', (code) => {
      clearTimeout(timer);
      done({ code, killed, stdout, stderr });
    });
  });
}

/** Runs the row and checks everything issue 15 asks of a bad input. */
export async function expectClearFailure(row: CliRow): Promise<void> {
  const out = await runSluice(row);
  const all = `${out.stdout}\n${out.stderr}`;
  expect(out.killed, 'sluice hung and was killed').toBe(false);
  expect(all).not.toMatch(/^\s+at /m);
  if (row.secret !== undefined) expect(all).not.toContain(row.secret);
  expect(out.code, all).toBe(row.code);
  for (const s of row.says) expect(out.stderr).toContain(s);
}

/** The minimal valid head of a pipeline file. */
export const HEAD = 'name: orders\nproducer: { type: generator, count: 1 }\n';
