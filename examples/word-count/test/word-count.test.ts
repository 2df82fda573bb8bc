import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countWithFlow, countWithLoop } from '../src/count.ts';
import { writeText } from '../src/text.ts';

let dir = '';
let path = '';
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-words-'));
  path = join(dir, 'text.txt');
  await writeText(path, 300_000);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('word count', () => {
  it.each([1, 2, 4])('counts the same as a plain loop with %i stages', async (stages) => {
    const flow = await countWithFlow(path, stages);
    const loop = countWithLoop(path);
    expect(flow).toEqual(loop);
    expect([...flow.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(40_000);
  });
});
