/**
 * The open batches of one batcher, as pure state: no timers, no stages.
 *
 * Messages are grouped by batch key (and partition, when the batcher has
 * `partitionBy`). A batch closes when it reaches `batchSize` (or the custom
 * accumulator says `emit`), when its timer fires, or when flushed. The
 * batcher (batcher.ts) owns the timers: `add` tells it when a batch was
 * created. A custom accumulator that throws, or returns something other
 * than `{ emit, acc }`, fails that message, not the batcher.
 *
 * Unlike Broadway, the accumulator value returned with `emit` is kept: it
 * becomes the starting value of the key's next batch.
 */
import { SluiceError } from '../errors.ts';
import { show } from '../options/parse.ts';
import type { BatchInfo } from './batch-info.ts';
import type { BatchSizeAccumulator } from './definition.ts';
import type { Message } from './message.ts';

/** A batch being filled, or emitted. */
export interface Batch {
  readonly batchKey: unknown;
  readonly partition: number | undefined;
  readonly messages: Message[];
  /** The accumulator (custom batch sizes only). */
  acc: unknown;
  /** Holds a message in 'flush' mode: goes out at the end of the chunk. */
  flush: boolean;
  open: boolean;
  /** Whoever times the batch keeps its handle here (batch-timers.ts). */
  timer: unknown;
}

/** A closed batch and why it closed. */
export interface EmittedBatch {
  readonly messages: Message[];
  readonly info: BatchInfo;
}

/**
 * A batch-key map holding this many keys, at least half of them idle (their
 * batch closed), drops the idle ones before it takes a new key. So idle keys
 * never number more than this or the open batches, whichever is larger.
 */
export const PRUNE_AT = 1024;

/** Deletes the entries of keys whose batch closed, and what they carried. */
function prune(byKey: Map<unknown, Batch | undefined>, carry: Map<unknown, unknown>): void {
  for (const [key, batch] of byKey) {
    if (batch !== undefined) continue;
    byKey.delete(key);
    carry.delete(key);
  }
}

export class Batches {
  readonly #batcher: string;
  readonly #size: number | BatchSizeAccumulator;
  /**
   * Open batches by batch key: one map without partitions, one per
   * partition with. The maps live as long as the batcher, and a key whose
   * batch closed keeps its entry, set to undefined, for its next batch.
   * Deleting it instead would cost more than the set: V8 rehashes a Map
   * that shrinks to empty, and allocates the new table of a long-lived Map
   * straight in old space, where it waits for a full GC (about 1 byte per
   * message in scenario B). {@link PRUNE_AT} bounds the idle entries.
   */
  readonly #unpartitioned = new Map<unknown, Batch | undefined>();
  readonly #partitioned: Map<unknown, Batch | undefined>[] = [];
  #open = 0;
  /**
   * The accumulator a key's next batch starts from (custom batch sizes):
   * set when a batch emits, taken when the key's next batch opens, dropped
   * with the key's entry when idle keys are pruned.
   */
  readonly #carry = new Map<unknown, unknown>();

  readonly #onClose: ((batch: Batch) => void) | undefined;

  /** `onClose` runs whenever a batch closes, e.g. to clear its timer. */
  constructor(
    batcher: string,
    batchSize: number | BatchSizeAccumulator,
    onClose?: (batch: Batch) => void,
  ) {
    this.#batcher = batcher;
    this.#size = batchSize;
    this.#onClose = onClose;
  }

  /** Open batches. */
  get size(): number {
    return this.#open;
  }

  #byKey(partition: number | undefined): Map<unknown, Batch | undefined> {
    if (partition === undefined) return this.#unpartitioned;
    let byKey = this.#partitioned[partition];
    if (byKey === undefined) {
      byKey = new Map<unknown, Batch | undefined>();
      this.#partitioned[partition] = byKey;
    }
    return byKey;
  }

  /** Every open batch, unpartitioned first, then by partition. */
  *#all(): Generator<Batch> {
    for (const batch of this.#unpartitioned.values()) if (batch !== undefined) yield batch;
    for (const byKey of this.#partitioned) {
      if (byKey === undefined) continue;
      for (const batch of byKey.values()) if (batch !== undefined) yield batch;
    }
  }

  /**
   * The batch the last {@link add} opened, if it opened one and it is still
   * open (so the caller can start its timer). Reset by every `add`.
   */
  opened: Batch | undefined;

  /** The batch the previous message joined: most messages join the same one. */
  #last: Batch | undefined;

  /** Adds a message. Returns the batch it closed, if it filled one. */
  add(message: Message, partition: number | undefined): EmittedBatch | undefined {
    this.opened = undefined;
    const last = this.#last;
    if (
      last !== undefined &&
      last.open &&
      last.batchKey === message.batchKey &&
      last.partition === partition
    ) {
      return this.#push(last, message, false);
    }
    const byKey = this.#byKey(partition);
    let batch = byKey.get(message.batchKey);
    let opened = false;
    if (batch === undefined) {
      const size = this.#size;
      let acc: unknown;
      if (typeof size !== 'number') {
        acc = this.#carry.has(message.batchKey) ? this.#carry.get(message.batchKey) : size.initial;
        this.#carry.delete(message.batchKey);
      }
      batch = {
        batchKey: message.batchKey,
        partition,
        messages: [],
        acc,
        flush: false,
        open: true,
        timer: undefined,
      };
      // At least half the entries are idle when this prunes, so pruning
      // stays O(1) per batch however many batches are open at once.
      if (byKey.size >= PRUNE_AT && byKey.size >= 2 * this.#open && !byKey.has(message.batchKey)) {
        prune(byKey, this.#carry);
      }
      byKey.set(message.batchKey, batch);
      this.#open++;
      opened = true;
    }
    this.#last = batch;
    return this.#push(batch, message, opened);
  }

  /**
   * Appends to the batch the last {@link add} joined the messages from
   * `from` on that join it too (same batch key, 'bulk' mode), stopping
   * before the one that would fill it: {@link add} takes that one and
   * closes the batch. Returns the index of the first message not appended.
   * Only for numeric batch sizes without partitions, where it is the same as
   * calling `add` for each message, in a tight loop: the batcher's hot path.
   */
  appendRun(messages: readonly Message[], from: number): number {
    const batch = this.#last;
    const size = this.#size;
    if (batch?.open !== true || typeof size !== 'number' || batch.partition !== undefined) {
      return from;
    }
    const into = batch.messages;
    const key = batch.batchKey;
    const end = Math.min(messages.length, from + (size - 1 - into.length));
    let i = from;
    for (; i < end; i++) {
      const m = messages[i] as Message;
      if (m.batchKey !== key || m.batchMode !== 'bulk') break;
      into.push(m);
    }
    return i;
  }

  #push(batch: Batch, message: Message, opened: boolean): EmittedBatch | undefined {
    batch.messages.push(message);
    if (message.batchMode === 'flush') batch.flush = true;
    let full: boolean;
    const size = this.#size;
    if (typeof size === 'number') {
      full = batch.messages.length >= size;
    } else {
      let step: { emit: boolean; acc: unknown };
      try {
        step = size.accumulate(message, batch.acc);
        if (typeof step !== 'object' || step === null || typeof step.emit !== 'boolean') {
          throw new SluiceError(
            'ERR_BAD_RETURN',
            `batchSize.accumulate must return { emit: boolean, acc }, got ${show(step)}`,
          );
        }
      } catch (error) {
        // A throwing accumulator fails that message, not the batcher: it
        // stays in the batch and is acked as failed with it.
        message.status = { kind: 'error', error, callback: 'batchSize' };
        step = { emit: false, acc: batch.acc };
      }
      batch.acc = step.acc;
      full = step.emit;
      if (full) this.#carry.set(message.batchKey, step.acc);
    }
    if (full) return this.#close(batch, 'size');
    if (opened) this.opened = batch;
    return undefined;
  }

  /** Closes every batch holding a message in 'flush' mode. */
  flushFlagged(): EmittedBatch[] {
    const flagged = [...this.#all()].filter((batch) => batch.flush);
    return flagged.map((batch) => this.#close(batch, 'flush'));
  }

  /** The batch's timer fired: closes it if it is still open. */
  expire(batch: Batch): EmittedBatch | undefined {
    return batch.open ? this.#close(batch, 'timeout') : undefined;
  }

  /** Closes every open batch (draining). */
  flushAll(): EmittedBatch[] {
    return [...this.#all()].map((batch) => this.#close(batch, 'flush'));
  }

  #close(batch: Batch, trigger: BatchInfo['trigger']): EmittedBatch {
    batch.open = false;
    this.#onClose?.(batch);
    this.#open--;
    this.#byKey(batch.partition).set(batch.batchKey, undefined);
    return {
      messages: batch.messages,
      info: {
        batcher: this.#batcher,
        batchKey: batch.batchKey,
        partition: batch.partition,
        size: batch.messages.length,
        trigger,
      },
    };
  }
}
