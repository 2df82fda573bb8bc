/**
 * At most `n` calls in flight; the others wait their turn in order. A sink
 * wraps its writes in one, so a slow service slows the batchers calling it
 * (each waits for its write) instead of buffering without bound: the queue
 * never holds more than the batchers' own lanes.
 */
export interface Limit {
  run<T>(task: () => Promise<T>): Promise<T>;
  /** Calls running now. */
  readonly active: number;
  /** Calls waiting for a slot. */
  readonly waiting: number;
}

export function limit(n: number): Limit {
  let active = 0;
  const queue: (() => void)[] = [];
  const release = (): void => {
    const next = queue.shift();
    if (next !== undefined) next();
    else active -= 1;
  };
  return {
    get active() {
      return active;
    },
    get waiting() {
      return queue.length;
    },
    async run<T>(task: () => Promise<T>): Promise<T> {
      if (active < n) active += 1;
      else await new Promise<void>((resolve) => queue.push(resolve));
      try {
        return await task();
      } finally {
        release();
      }
    },
  };
}
