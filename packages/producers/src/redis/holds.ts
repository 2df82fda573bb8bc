/**
 * Heartbeats for held entries: an entry the pipeline holds (read or
 * claimed, not yet acked or failed) stays pending with its consumer, and its
 * idle time grows. Past `claimIdle`, any consumer's XAUTOCLAIM would take it
 * and handle it a second time, e.g. while it waits in a batcher. So, like
 * SQS's visibility extension, the holder resets the idle time of what it
 * holds every third of `claimIdle`, with `XCLAIM … JUSTID` to itself
 * (which neither returns the entry nor counts a delivery).
 *
 * XCLAIM moves an entry to whoever asks: the reset asks for a least idle
 * time of half the heartbeat interval, so an entry another consumer took
 * since (its idle time reset by that claim) stays with that consumer.
 *
 * Entries are held a read (or claim) at a time, as one {@link HeldLot};
 * each message knows its lot and its place in it, so settling an entry is
 * a flag and a count, with no lookup by id (a map of ids cost about as much
 * as the rest of the producer in a no-op profile).
 */
import type { Logger } from '@sluice/core';
import type { DeliveredEntry } from './claims.ts';
import type { RedisClient } from './client.ts';
import type { RetryQueue } from './retries.ts';

/** The most ids one XCLAIM carries. */
const BATCH = 500;

/** Timers the heartbeat uses (tests pass vitest's fake timers). */
export interface HoldTimers {
  readonly setInterval: (fn: () => void, ms: number) => unknown;
  readonly clearInterval: (timer: unknown) => void;
}

const realTimers: HoldTimers = {
  setInterval: (fn, ms) => {
    const t = setInterval(fn, ms);
    t.unref();
    return t;
  },
  clearInterval: (t) => clearInterval(t as NodeJS.Timeout),
};

export interface HoldsOptions {
  readonly client: RedisClient;
  readonly stream: string;
  readonly group: string;
  readonly claimIdle: number;
  readonly logger: Logger;
  readonly timers?: HoldTimers;
}

/**
 * Entries one consumer handed on together (one read or claim), held until
 * each is settled (acked, failed or dead-lettered).
 */
export class HeldLot {
  readonly entries: readonly DeliveredEntry[];
  /** The consumer that holds them. */
  readonly consumer: string;
  /** The retries of that consumer, for the entries that fail. */
  readonly retries: RetryQueue;
  readonly #holds: Holds;
  readonly #settled: Uint8Array;
  #left: number;

  constructor(
    holds: Holds,
    entries: readonly DeliveredEntry[],
    consumer: string,
    retries: RetryQueue,
  ) {
    this.#holds = holds;
    this.entries = entries;
    this.consumer = consumer;
    this.retries = retries;
    this.#settled = new Uint8Array(entries.length);
    this.#left = entries.length;
  }

  /** Entries not settled yet. */
  get left(): number {
    return this.#left;
  }

  /** The pipeline is done with entry `index`; a second call is ignored. */
  settle(index: number): void {
    if (this.#settled[index] === 1) return;
    this.#settled[index] = 1;
    if (--this.#left === 0) this.#holds.drop(this);
  }

  /** Adds the ids still held to `out`. */
  collect(out: string[]): void {
    if (this.#left === 0) return;
    for (let i = 0; i < this.entries.length; i++) {
      if (this.#settled[i] === 0) out.push((this.entries[i] as DeliveredEntry).id);
    }
  }
}

/** The entries one producer run holds, a lot at a time. */
export class Holds {
  readonly #o: HoldsOptions;
  readonly #lots = new Set<HeldLot>();
  readonly #t: HoldTimers;
  #timer: unknown;
  #beating: Promise<void> | undefined;

  constructor(options: HoldsOptions) {
    this.#o = options;
    this.#t = options.timers ?? realTimers;
  }

  /** How often the held entries' idle times are reset, in ms. */
  get intervalMs(): number {
    return Math.max(10, Math.floor(this.#o.claimIdle / 3));
  }

  /** The entries held now. */
  get size(): number {
    let n = 0;
    for (const lot of this.#lots) n += lot.left;
    return n;
  }

  /** `consumer` hands `entries` to the pipeline: they are held until each is settled. */
  hold(entries: readonly DeliveredEntry[], consumer: string, retries: RetryQueue): HeldLot {
    const lot = new HeldLot(this, entries, consumer, retries);
    if (entries.length === 0) return lot;
    this.#lots.add(lot);
    // The timer runs while anything is held; a round that finds nothing stops it.
    this.#timer ??= this.#t.setInterval(() => void this.beat(), this.intervalMs);
    return lot;
  }

  /** Called by a lot whose entries are all settled. */
  drop(lot: HeldLot): void {
    this.#lots.delete(lot);
  }

  /** Resets the idle time of every held entry; one round at a time. */
  beat(): Promise<void> {
    this.#beating ??= this.#beat().finally(() => (this.#beating = undefined));
    return this.#beating;
  }

  async #beat(): Promise<void> {
    const { client, stream, group, logger } = this.#o;
    if (this.#lots.size === 0) {
      this.#stopTimer();
      return;
    }
    const byConsumer = new Map<string, string[]>();
    for (const lot of this.#lots) {
      let ids = byConsumer.get(lot.consumer);
      if (ids === undefined) byConsumer.set(lot.consumer, (ids = []));
      lot.collect(ids);
    }
    const minIdle = Math.floor(this.intervalMs / 2);
    for (const [consumer, ids] of byConsumer) {
      for (let i = 0; i < ids.length; i += BATCH) {
        const batch = ids.slice(i, i + BATCH);
        try {
          await client.touch(stream, group, consumer, minIdle, batch);
        } catch (error) {
          // The next round tries again; until claimIdle passes nothing is lost.
          logger.warn(
            { err: error, stream, group, consumer, count: batch.length },
            `Redis: could not reset the idle time of ${batch.length} held entries; retrying in ${this.intervalMs} ms`,
          );
          return;
        }
      }
    }
  }

  /** Stops the heartbeat (the run is closing). */
  stop(): void {
    this.#lots.clear();
    this.#stopTimer();
  }

  #stopTimer(): void {
    if (this.#timer === undefined) return;
    this.#t.clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
