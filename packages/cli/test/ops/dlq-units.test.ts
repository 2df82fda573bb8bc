/** `sluice dlq`'s filters and rate pacing, without a broker. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseFilters } from '../../src/commands/dlq.ts';
import { pacer, type DeadLetter } from '../../src/dlq/types.ts';

const letter = (over: Partial<DeadLetter>): DeadLetter => ({
  id: '0:1',
  key: 'k1',
  reason: 'TimeoutError: too slow',
  attempts: 3,
  body: '{}',
  source: 'orders',
  ...over,
});

describe('parseFilters', () => {
  it('matches a reason by substring, a key and an id exactly, all filters together', () => {
    const match = parseFilters(['reason=Timeout', 'key=k1']);
    expect(match(letter({}))).toBe(true);
    expect(match(letter({ key: 'k2' }))).toBe(false);
    expect(match(letter({ reason: 'SyntaxError' }))).toBe(false);
    expect(parseFilters(['id=0:1'])(letter({}))).toBe(true);
    expect(parseFilters(['id=0:'])(letter({}))).toBe(false);
    expect(parseFilters([])(letter({}))).toBe(true);
  });

  it('refuses a filter it does not know, naming it', () => {
    expect(() => parseFilters(['body=x'])).toThrow(
      "--filter: expected reason=TEXT, key=KEY or id=ID, got 'body=x'",
    );
  });
});

describe('pacer', () => {
  afterEach(() => vi.useRealTimers());

  it('spaces sends 1/rate seconds apart, the first at once', async () => {
    vi.useFakeTimers();
    const pace = pacer(4);
    const done: number[] = [];
    const start = performance.now();
    const run = (async () => {
      for (let i = 0; i < 3; i++) {
        await pace();
        done.push(performance.now() - start);
      }
    })();
    await vi.advanceTimersByTimeAsync(1000);
    await run;
    expect(done).toEqual([0, 250, 500]);
  });

  it('never waits without a rate', async () => {
    vi.useFakeTimers();
    const pace = pacer(undefined);
    await pace();
    await pace();
    expect(vi.getTimerCount()).toBe(0);
  });
});
