/**
 * Option schemas are built on first use, with the zod instance the rest of
 * the process imports: one zod, so schemas compose with a user's own and
 * `instanceof` and the metadata registry agree.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { lazily, zod } from '../../src/options/zod.ts';
import { optionBlocks } from '../../src/options/blocks.ts';
import { positiveInt } from '../../src/options/index.ts';

describe('lazy zod', () => {
  it('loads the same zod that `import { z } from "zod"` gives', () => {
    expect(zod()).toBe(z);
    expect(optionBlocks().positiveInt).toBeInstanceOf(z.ZodNumber);
  });

  it('builds each schema set once: every call returns the same schemas', () => {
    expect(optionBlocks()).toBe(optionBlocks());
    expect(optionBlocks().positiveInt).toBe(positiveInt);
  });

  it('lazily runs its builder on the first call only', () => {
    let runs = 0;
    const get = lazily(() => ({ run: ++runs }));
    expect(runs).toBe(0);
    expect(get()).toBe(get());
    expect(runs).toBe(1);
  });
});
