import { describe, expect, it } from 'vitest';
import { Flow } from '../../src/flow/index.ts';
import { until } from '../helpers.ts';

/** An endless source that says when it was closed. */
function endless(): { source: Iterable<number>; closed: () => boolean } {
  let closed = false;
  function* numbers(): Generator<number> {
    try {
      for (let i = 0; ; i++) yield i;
    } finally {
      closed = true;
    }
  }
  return { source: numbers(), closed: () => closed };
}

describe('leaving a flow early', () => {
  it.each([1, 2, 4])(
    'stops every stage and closes the source, with %i stages per layer',
    async (stages) => {
      const { source, closed } = endless();
      const flow = Flow.fromIterable(source)
        .map((n) => n * 2)
        .partition({ stages })
        .map((n) => n + 1);
      let seen = 0;
      for await (const _ of flow.toAsyncIterable()) {
        void _;
        if (++seen === 100) break;
      }
      await until(closed);
      expect(closed()).toBe(true);
    },
  );
});
