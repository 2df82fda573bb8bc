/**
 * Issue 17, item 3: `sluice run` and `sluice test` exit once done even when
 * the handler module holds a handle open; the module's `setup` and
 * `teardown` run around the pipeline; a finished run honours the first
 * signal.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logLines, runSluice, startSluice } from './spawn.ts';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-lifecycle-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes a pipeline file over `handlers` (a JS module's text) and returns its path. */
function pipeline(name: string, handlers: string, extra = ''): string {
  writeFileSync(join(dir, `${name}.mjs`), handlers);
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `name: ${name}
producer: { type: generator, count: 20 }
handlers: ./${name}.mjs
sink: { type: stdout }
${extra}`,
  );
  return file;
}

const PASS = `export const handleMessage = (_p, m) => m;\n`;

describe('sluice run with a handler module that holds the event loop', () => {
  it('exits 0 although the module keeps a timer running, and says so at debug level', async () => {
    const file = pipeline('timer', `setInterval(() => {}, 1000);\n${PASS}`);
    const ended = await runSluice(['run', '--log-level', 'debug', file]);
    expect(ended.hung).toBe(false);
    expect(ended.code).toBe(0);
    expect(ended.stdout.trim().split('\n')).toHaveLength(20);
    const open = logLines(ended.stderr).find((l) => Array.isArray(l['open']));
    expect(open?.['open']).toContain('Timeout');
  });

  it('exits 0 although the module keeps a server socket listening', async () => {
    const file = pipeline(
      'socket',
      `import { createServer } from 'node:net';\ncreateServer().listen(0, '127.0.0.1');\n${PASS}`,
    );
    const ended = await runSluice(['run', file]);
    expect(ended.hung).toBe(false);
    expect(ended.code).toBe(0);
  });
});

describe('setup and teardown', () => {
  it('setup adds to the context before start; teardown gets it after stop', async () => {
    const marker = join(dir, 'torn-down.txt');
    const file = pipeline(
      'hooks',
      `import { writeFileSync } from 'node:fs';
export async function setup(context) {
  context.opened = true;
  return { prefix: context.label + '-' };
}
export const handleMessage = (_p, m, context) => m.putData(context.prefix + m.data.n);
export async function teardown(context) {
  writeFileSync(context.marker, JSON.stringify(context));
}
`,
      `context: { label: order, marker: ${JSON.stringify(marker)} }\n`,
    );
    const ended = await runSluice(['run', file]);
    expect(ended.code).toBe(0);
    expect(ended.stdout).toContain('"order-7"');
    expect(JSON.parse(readFileSync(marker, 'utf8'))).toMatchObject({
      label: 'order',
      opened: true,
      prefix: 'order-',
    });
  });

  it('a setup that throws stops the run before it starts, told once with its cause', async () => {
    const file = pipeline(
      'bad-setup',
      `export function setup() { throw new Error('no database at db:5432'); }\n${PASS}`,
    );
    const ended = await runSluice(['run', file]);
    expect(ended.code).toBe(1);
    expect(ended.stdout).toBe('');
    const errors = logLines(ended.stderr).filter((l) => (l['level'] as number) >= 50);
    expect(errors).toHaveLength(1);
    const err = errors[0]?.['err'] as { message: string; stack: string };
    expect(String(errors[0]?.['msg']).match(/no database at db:5432/g)).toHaveLength(1);
    expect(err.message.match(/no database at db:5432/g)).toHaveLength(1);
    expect(err.stack).toContain('bad-setup.mjs:1');
  });

  it('a teardown that never settles is cut off at shutdownTimeout, and the run exits', async () => {
    const file = pipeline(
      'stuck-teardown',
      `export function teardown() { return new Promise(() => setInterval(() => {}, 1000)); }\n${PASS}`,
      'shutdownTimeout: 50\n',
    );
    const ended = await runSluice(['run', file]);
    expect(ended.hung).toBe(false);
    expect(ended.code).toBe(0);
    expect(ended.stderr).toContain('teardown did not finish within shutdownTimeout (50 ms)');
  });

  it('a finished run exits on the first SIGTERM, with its own exit code', async () => {
    const file = pipeline(
      'finished',
      `export function teardown() { return new Promise(() => setInterval(() => {}, 1000)); }\n${PASS}`,
      'shutdownTimeout: 600000\n',
    );
    const run = startSluice(['run', file]);
    await run.stderrMatches(/"reason":"source exhausted"/);
    run.child.kill('SIGTERM');
    const ended = await run.ended;
    expect(ended.hung).toBe(false);
    expect(ended.code).toBe(0);
  });
});

describe('sluice test with a handler module that holds the event loop', () => {
  it('runs setup and teardown once around the cases, and exits', async () => {
    const marker = join(dir, 'test-teardown.txt');
    const file = pipeline(
      'tested',
      `setInterval(() => {}, 1000);
import { appendFileSync } from 'node:fs';
export const setup = (context) => ({ prefix: 'p' });
export const handleMessage = (_p, m, context) => m.putData(context.prefix + m.data);
export const teardown = (context) => appendFileSync(${JSON.stringify(marker)}, 'torn down\\n');
`,
      `tests:
  - name: prefixes
    input: [a, b]
    expect: { successful: [{ data: pa }, { data: pb }] }
  - name: again
    input: [c]
    expect: { successful: 1 }
`,
    );
    const ended = await runSluice(['test', file]);
    expect(ended.hung).toBe(false);
    expect(ended.stdout).toContain('2 passed, 0 failed');
    expect(ended.code).toBe(0);
    expect(existsSync(marker) && readFileSync(marker, 'utf8')).toBe('torn down\n');
  });
});
