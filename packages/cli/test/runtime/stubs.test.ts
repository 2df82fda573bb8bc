/**
 * Issue 17, item 8: `sluice test` replaces named context entries with
 * stubs, from modules (`stubs:`) or inline values (a case's `context:`),
 * so a case never reaches the real database.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSluice } from './spawn.ts';

let dir = '';
/** Where the "real database" writes: a test that stubs it must leave this missing. */
let realWrites = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-stubs-'));
  realWrites = join(dir, 'real-database.txt');
  mkdirSync(join(dir, 'stubs'));
  // setup opens the real database only when the context has none (a stub).
  writeFileSync(
    join(dir, 'handlers.mjs'),
    `import { appendFileSync } from 'node:fs';
export const setup = (context) =>
  context.db === undefined
    ? { db: { insert: (rows) => appendFileSync(${JSON.stringify(realWrites)}, JSON.stringify(rows)) } }
    : {};
export const handleMessage = (_p, m, context) =>
  m.putData({ id: m.data.id, amount: m.data.amount * context.rate }).putBatcher('db');
export async function handleBatch(_b, messages, _info, context) {
  await context.db.insert(messages.map((m) => m.data));
  return messages;
}
`,
  );
  writeFileSync(
    join(dir, 'stubs/db.ts'),
    `const rows: unknown[] = [];\nexport default { insert: (batch: unknown[]): void => void rows.push(...batch), rows };\n`,
  );
  writeFileSync(
    join(dir, 'pipeline.yaml'),
    `name: orders
producer: { type: generator, count: 1 }
handlers: ./handlers.mjs
batchers: { db: {} }
context: { rate: 2 }
`,
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sluice test with stubs', () => {
  it("replaces a context entry with a stub module for every case in a tests file, and a case's inline values", async () => {
    writeFileSync(
      join(dir, 'all.tests.yaml'),
      `stubs: { db: ./stubs/db.ts }
tests:
  - name: doubles amounts with the file's rate
    input: [{ id: 1, amount: 5 }]
    expect: { successful: 1, failed: 0, batches: { db: [[{ id: 1, amount: 10 }]] } }
  - name: a case's own rate
    context: { rate: 3 }
    input: [{ id: 2, amount: 5 }]
    expect: { successful: 1, failed: 0, batches: { db: [[{ id: 2, amount: 15 }]] } }
`,
    );
    const ended = await runSluice(['test', '--tests', 'all.tests.yaml', 'pipeline.yaml'], {
      cwd: dir,
    });
    expect(ended.stdout).toContain('2 passed, 0 failed');
    expect(ended.code).toBe(0);
    expect(existsSync(realWrites)).toBe(false);
  });

  it('takes a stub per case, relative to the file that names it', async () => {
    writeFileSync(
      join(dir, 'case.tests.yaml'),
      `tests:
  - name: stubbed
    stubs: { db: ./stubs/db.ts }
    input: [{ id: 3, amount: 1 }]
    expect: { successful: 1 }
`,
    );
    const ended = await runSluice(['test', '--tests', 'case.tests.yaml', 'pipeline.yaml'], {
      cwd: dir,
    });
    expect(ended.code).toBe(0);
    expect(existsSync(realWrites)).toBe(false);
  });

  it('names a stub module that does not exist', async () => {
    writeFileSync(
      join(dir, 'missing.tests.yaml'),
      `stubs: { db: ./stubs/nope.ts }\ntests: [{ name: x, input: [], expect: {} }]\n`,
    );
    const ended = await runSluice(['test', '--tests', 'missing.tests.yaml', 'pipeline.yaml'], {
      cwd: dir,
    });
    expect(ended.code).toBe(2);
    expect(ended.stderr).toContain('stubs.db: stub module ./stubs/nope.ts does not exist');
  });
});
