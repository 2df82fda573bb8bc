/**
 * Failed entries waiting for their retry. A failed entry is not acked: it
 * stays pending with the consumer that handled it, and once its backoff
 * has passed it is ready to be claimed back (XCLAIM) by that consumer's
 * reader, which hands it on again. The wait lives in memory only: if the
 * process stops first, the entry is claimed after `claimIdle` by whichever
 * consumer of the group looks first.
 */

/** A failed entry to claim back after `delayMs`. */
export interface RetryEntry {
  readonly id: string;
  /** The backoff it waits, in ms: also the least idle time XCLAIM asks for. */
  readonly delayMs: number;
}

/** Timers the queue uses (tests pass fakes; vitest's fake timers also work). */
export interface RetryTimers {
  readonly setTimeout: (fn: () => void, ms: number) => unknown;
  readonly clearTimeout: (timer: unknown) => void;
}

const realTimers: RetryTimers = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (t) => {
    clearTimeout(t as NodeJS.Timeout);
  },
};

/** The retries of one consumer (one producer instance). */
export class RetryQueue {
  readonly #ready: RetryEntry[] = [];
  readonly #timers = new Set<unknown>();
  readonly #onReady: () => void;
  readonly #t: RetryTimers;

  /** @param onReady called when entries become ready, e.g. to wake the reader */
  constructor(onReady: () => void, timers: RetryTimers = realTimers) {
    this.#onReady = onReady;
    this.#t = timers;
  }

  /** Entries ready to be claimed back. */
  get ready(): number {
    return this.#ready.length;
  }

  /** Entries still waiting for their backoff. */
  get waiting(): number {
    return this.#timers.size;
  }

  /** `entries` become ready after their `delayMs`. */
  schedule(entries: readonly RetryEntry[]): void {
    const byDelay = new Map<number, RetryEntry[]>();
    for (const e of entries) byDelay.set(e.delayMs, [...(byDelay.get(e.delayMs) ?? []), e]);
    for (const [delay, group] of byDelay) {
      const timer = this.#t.setTimeout(() => {
        this.#timers.delete(timer);
        this.#ready.push(...group);
        this.#onReady();
      }, delay);
      this.#timers.add(timer);
    }
  }

  /** Takes up to `max` ready entries, oldest first. */
  take(max: number): RetryEntry[] {
    return this.#ready.splice(0, Math.max(0, max));
  }

  /** Forgets every entry (they stay pending in Redis, for `claimIdle`). */
  clear(): void {
    for (const t of this.#timers) this.#t.clearTimeout(t);
    this.#timers.clear();
    this.#ready.length = 0;
  }
}
