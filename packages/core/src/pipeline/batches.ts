/**
 * The open batches of one batcher, as pure state: no timers, no stages.
 *
 * Messages are grouped by batch key (and partition, when the batcher has
 * `partitionBy`). A batch closes when it reaches `batchSize` (or the custom
 * accumulator says `emit`), when its timer fires, or when flushed. The
 * batcher stage owns the timers: `add` tells it when a batch was created.
 *
 * Unlike Broadway, the accumulator value returned with `emit` is kept: it
 * becomes the starting value of the key's next batch.
 */
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
}

/** A closed batch and why it closed. */
export interface EmittedBatch {
  readonly messages: Message[];
  readonly info: BatchInfo;
}

export class Batches {
  readonly #batcher: string;
  readonly #size: number | BatchSizeAccumulator;
  /** batch key → partition → open batch */
  readonly #open = new Map<unknown, Map<number | undefined, Batch>>();
  /** The accumulator each key's next batch starts from. */
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
    let n = 0;
    for (const byPartition of this.#open.values()) n += byPartition.size;
    return n;
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
    let byPartition = this.#open.get(message.batchKey);
    if (byPartition === undefined) {
      byPartition = new Map<number | undefined, Batch>();
      this.#open.set(message.batchKey, byPartition);
    }
    let batch = byPartition.get(partition);
    let opened = false;
    if (batch === undefined) {
      const size = this.#size;
      const acc =
        typeof size === 'number'
          ? undefined
          : this.#carry.has(message.batchKey)
            ? this.#carry.get(message.batchKey)
            : size.initial;
      batch = {
        batchKey: message.batchKey,
        partition,
        messages: [],
        acc,
        flush: false,
        open: true,
      };
      byPartition.set(partition, batch);
      opened = true;
    }
    this.#last = batch;
    return this.#push(batch, message, opened);
  }

  #push(batch: Batch, message: Message, opened: boolean): EmittedBatch | undefined {
    batch.messages.push(message);
    if (message.batchMode === 'flush') batch.flush = true;
    let full: boolean;
    const size = this.#size;
    if (typeof size === 'number') {
      full = batch.messages.length >= size;
    } else {
      const step = size.accumulate(message, batch.acc);
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
    const out: EmittedBatch[] = [];
    for (const byPartition of this.#open.values()) {
      for (const batch of byPartition.values()) {
        if (batch.flush) out.push(this.#close(batch, 'flush'));
      }
    }
    return out;
  }

  /** The batch's timer fired: closes it if it is still open. */
  expire(batch: Batch): EmittedBatch | undefined {
    return batch.open ? this.#close(batch, 'timeout') : undefined;
  }

  /** Closes every open batch (draining). */
  flushAll(): EmittedBatch[] {
    const out: EmittedBatch[] = [];
    for (const byPartition of this.#open.values()) {
      for (const batch of byPartition.values()) out.push(this.#close(batch, 'flush'));
    }
    return out;
  }

  #close(batch: Batch, trigger: BatchInfo['trigger']): EmittedBatch {
    batch.open = false;
    this.#onClose?.(batch);
    const byPartition = this.#open.get(batch.batchKey);
    byPartition?.delete(batch.partition);
    if (byPartition?.size === 0) this.#open.delete(batch.batchKey);
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
