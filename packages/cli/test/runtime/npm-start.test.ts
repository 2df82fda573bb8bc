/**
 * Issue 17, item 10: SIGTERM sent to `npm start` reaches the pipeline. npm
 * forwards the signal to its script's process; the script `exec`s node, so
 * that process is the pipeline (not a shell that would keep it orphaned).
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { expect, it } from 'vitest';
import { logLines } from './spawn.ts';

const ROOT = resolve(import.meta.dirname, '../../../..');

it('SIGTERM to npm start drains the pipeline and leaves no process behind', async () => {
  const npm = spawn('npm', ['start'], {
    cwd: ROOT,
    env: { ...process.env, SLUICE_MESSAGES: 'endless' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const progressed = new Promise<void>((done) => {
    npm.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.includes('"msg":"progress"')) done();
    });
  });
  const exited = new Promise<number | null>((done) => npm.once('close', done));
  const guard = setTimeout(() => npm.kill('SIGKILL'), 60_000);
  await progressed;
  npm.kill('SIGTERM');
  await exited;
  clearTimeout(guard);
  const last = logLines(stderr).at(-1) ?? {};
  expect(last['reason']).toBe('stopped by SIGTERM');
  expect(last['unacked']).toBe(0);
  // The pipeline's own process is gone, not orphaned.
  const pid = last['pid'] as number;
  expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
}, 90_000);
