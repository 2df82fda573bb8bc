/**
 * Coalesces acks into batch calls (pure: the caller owns the timer): SQS's
 * DeleteMessageBatch, Redis's XACK.
 *
 * Items are added as acks arrive; every full chunk of `size` is handed
 * back at once, and what is left waits for more acks or for the caller's
 * flush timer, so 10 acks of 1 message become one call.
 */
export class Coalescer<T> {
  #pending: T[] = [];

  readonly size: number;

  constructor(size: number) {
    this.size = size;
  }

  /** Items waiting for a chunk to fill or the next flush. */
  get pending(): number {
    return this.#pending.length;
  }

  /** Adds `items`; returns the chunks that are now full, to send at once. */
  add(items: readonly T[]): T[][] {
    for (const item of items) this.#pending.push(item);
    const full: T[][] = [];
    while (this.#pending.length >= this.size) full.push(this.#pending.splice(0, this.size));
    return full;
  }

  /** Takes everything waiting, in chunks of at most `size`. */
  flush(): T[][] {
    const out: T[][] = [];
    while (this.#pending.length > 0) out.push(this.#pending.splice(0, this.size));
    return out;
  }
}

/** Splits `items` into chunks of at most `size`. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
