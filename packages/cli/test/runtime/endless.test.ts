/**
 * Issue 17, item 1: the example's `SLUICE_MESSAGES` is the generator's
 * `count`. `endless` runs until a signal; `0` is zero messages, as a count.
 */
import { describe, expect, it } from 'vitest';
import { EXAMPLE, logLines, runSluice, startSluice } from './spawn.ts';

describe('the example pipeline (npm start)', () => {
  it('SLUICE_MESSAGES=endless runs until SIGINT, then drains and exits 0', async () => {
    const run = startSluice(['run', EXAMPLE], { env: { SLUICE_MESSAGES: 'endless' } });
    // Far past any finite default would be a timing; a progress line with
    // acked messages shows it is running, and it is still running after it.
    await run.stderrMatches(/"msg":"progress"/);
    run.child.kill('SIGINT');
    const ended = await run.ended;
    expect(ended.hung).toBe(false);
    expect(ended.code).toBe(0);
    const last = logLines(ended.stderr).at(-1) ?? {};
    expect(last['reason']).toBe('stopped by SIGINT');
    expect(last['successful'] as number).toBeGreaterThan(0);
  });

  it('SLUICE_MESSAGES=0 runs zero messages and exits 0 by itself', async () => {
    const ended = await runSluice(['run', EXAMPLE], { env: { SLUICE_MESSAGES: '0' } });
    expect(ended.code).toBe(0);
    const last = logLines(ended.stderr).at(-1) ?? {};
    expect(last['reason']).toBe('source exhausted');
    expect(last['received']).toBe(0);
  });

  it("refuses a count that is neither a number nor 'endless'", async () => {
    const ended = await runSluice(['validate', EXAMPLE], { env: { SLUICE_MESSAGES: 'forever' } });
    expect(ended.code).toBe(2);
    expect(ended.stderr).toContain("producer.count: expected a non-negative integer, or 'endless'");
  });
});
