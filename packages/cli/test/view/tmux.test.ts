/**
 * `sluice run` in a real terminal: tmux panes 60 and 160 columns wide,
 * captured with `tmux capture-pane` once the run has ended. The live view
 * must stay one frame redrawn in place (never a scrolling log), with no
 * line wider than the pane, and show its fields.
 *
 * Needs tmux (`apt-get install -y tmux`); without it the test is skipped
 * with the reason printed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = resolve(import.meta.dirname, '../../dist/bin.js');
const SOCKET = `sluice-view-test-${process.pid}`;

function hasTmux(): boolean {
  try {
    execFileSync('tmux', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const tmuxFound = hasTmux();
if (!tmuxFound) {
  // .ci/run installs it (scripts/ci-tools.sh): there, a missing tmux is a failure.
  if (process.env['CI'] !== undefined && process.env['CI'] !== '') {
    throw new Error(
      'tmux is not installed: run bash scripts/ci-tools.sh (apt-get install -y tmux)',
    );
  }
  console.warn('skipping the live view tmux test: tmux is not installed (apt-get install -y tmux)');
}

const tmux = (...args: string[]): string =>
  execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });

let dir = '';
beforeAll(() => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run npm run build first`);
  dir = mkdtempSync(join(tmpdir(), 'sluice-tmux-'));
  // An ES module package: tsx loads handlers.ts as ESM, with source maps.
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  writeFileSync(
    join(dir, 'handlers.ts'),
    [
      'export function handleMessage(_processor: string, message: any): any {',
      '  const { n } = message.data as { n: number };',
      '  if (n % 100 === 7) throw new TypeError(`bad order ${n}`);',
      "  return message.putBatcher('out');",
      '}',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'pipeline.yaml'),
    [
      'name: view-check',
      'producer: { type: generator, count: 20000 }',
      'processors:',
      '  default: { concurrency: 2 }',
      'batchers:',
      '  out: { batchSize: 100, batchTimeout: 50, concurrency: 1 }',
      'handlers: ./handlers.ts',
      'sink: { type: file, path: /dev/null }',
      '',
    ].join('\n'),
  );
});
afterAll(() => {
  if (tmuxFound) {
    try {
      execFileSync('tmux', ['-L', SOCKET, 'kill-server'], { stdio: 'ignore' });
    } catch {
      // no server left
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `sluice run` in a detached pane of `width` columns; the pane's text (history included) once it exits. */
async function runInPane(width: number): Promise<string> {
  const session = `w${width}`;
  tmux(
    'new-session',
    '-d',
    '-s',
    session,
    '-x',
    String(width),
    '-y',
    '50',
    '-c',
    dir,
    `'${process.execPath}' '${BIN}' run pipeline.yaml; echo "EXIT=$?"; sleep 600`,
  );
  for (;;) {
    // -J joins lines the terminal wrapped, so a line wider than the pane
    // shows as one long line; -S - includes what scrolled off.
    const text = tmux('capture-pane', '-p', '-J', '-S', '-', '-t', session);
    if (/EXIT=\d+/.test(text)) {
      tmux('kill-session', '-t', session);
      return text;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(!tmuxFound)('sluice run in a terminal', () => {
  for (const width of [60, 160]) {
    it(`draws the live view within ${width} columns, in place`, async () => {
      const text = await runInPane(width);
      const lines = text.split('\n');
      for (const line of lines) expect([...line].length, line).toBeLessThanOrEqual(width);
      expect(text).toContain('EXIT=0');
      // One frame: the header of the stage table appears once, not once
      // per redraw as in a scrolling log.
      expect(lines.filter((l) => /^ +stage +in flight +msg\/s/.test(l))).toHaveLength(1);
      expect(text).toContain('100%  20,000/20,000  done');
      expect(text).toContain('acked 19,800  failed 200');
      expect(text).toMatch(/producers ×1/);
      expect(text).toMatch(/processor default ×2/);
      expect(text).toMatch(/batcher out ×1/);
      expect(text).toMatch(/handleMessage +p50 [\d.]+ (µs|ms) +p99/);
      expect(text).toMatch(/handleBatch +p50/);
      expect(text).toContain('failed by reason:');
      expect(text).toMatch(/200× TypeError: bad order N/);
      if (width === 160) {
        // The failure's location is the TypeScript source's file:line.
        expect(text).toContain(`200× TypeError: bad order N (${join(dir, 'handlers.ts')}:3:`);
      }
      // No JSON log record and no stack frame reached the terminal.
      expect(text).not.toMatch(/"level":|^\s+at /m);
    });
  }
});
