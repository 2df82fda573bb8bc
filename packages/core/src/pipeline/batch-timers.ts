/**
 * The batch timeouts of one batcher, with Node timers reused rather than
 * created and cleared per batch.
 *
 * Every batch of a batcher has the same timeout, and most close by size long
 * before it fires. Creating and clearing a `setTimeout` per batch cost the
 * batcher more than filling the batch. So a batch that closes early leaves
 * its timer running and hands it to the next batch that opens, which
 * restarts it with `refresh()`; a timer that fires with no batch does
 * nothing and waits to be reused. Spare timers are capped, so a burst of
 * batch keys does not leave thousands of them behind.
 */
import type { Batch } from './batches.ts';

/** A reusable timer and the batch it currently times, if any. */
interface Slot {
  batch: Batch | undefined;
  timer: NodeJS.Timeout | undefined;
}

/** Spare timers kept for reuse; more are cleared. */
const MAX_SPARE = 16;

export class BatchTimers {
  readonly #timeout: number;
  readonly #onExpire: (batch: Batch) => void;
  /** Every live slot, timing a batch or spare; a batch holds its own in `batch.timer`. */
  readonly #slots = new Set<Slot>();
  readonly #spare: Slot[] = [];

  /** `onExpire(batch)` runs when an open batch has been open for `timeout` ms. */
  constructor(timeout: number, onExpire: (batch: Batch) => void) {
    this.#timeout = timeout;
    this.#onExpire = onExpire;
  }

  /** Starts the timeout of a batch that just opened. */
  start(batch: Batch): void {
    let slot = this.#spare.pop();
    if (slot === undefined) {
      const fresh: Slot = { batch, timer: undefined };
      fresh.timer = setTimeout(() => this.#fire(fresh), this.#timeout);
      this.#slots.add(fresh);
      slot = fresh;
    } else {
      slot.batch = batch;
      slot.timer?.refresh();
    }
    batch.timer = slot;
  }

  /** The batch closed: its timer is released for the next batch. */
  stop(batch: Batch): void {
    const slot = batch.timer as Slot | undefined;
    if (slot === undefined) return;
    batch.timer = undefined;
    slot.batch = undefined;
    if (this.#spare.length < MAX_SPARE) {
      this.#spare.push(slot);
    } else {
      clearTimeout(slot.timer);
      this.#slots.delete(slot);
    }
  }

  /** Clears every timer (the batcher stopped). */
  clear(): void {
    for (const slot of this.#slots) {
      clearTimeout(slot.timer);
      if (slot.batch !== undefined) slot.batch.timer = undefined;
    }
    this.#slots.clear();
    this.#spare.length = 0;
  }

  /** Timed batches (for tests). */
  get size(): number {
    let n = 0;
    for (const slot of this.#slots) if (slot.batch !== undefined) n++;
    return n;
  }

  #fire(slot: Slot): void {
    // A spare timer running out has nothing to do; it stays spare.
    if (slot.batch !== undefined) this.#onExpire(slot.batch);
  }
}
