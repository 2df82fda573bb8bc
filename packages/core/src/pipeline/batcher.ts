/**
 * A batcher: groups the messages its processors hand it into batches
 * (batches.ts), closes them by size, timeout or flush, and runs the batch
 * processor (batch-processor.ts) on each, with up to `concurrency` batches
 * at once.
 *
 * It is not a stage. In Broadway the batcher and each batch processor are
 * processes, and in an earlier Sluice they were stages; but every stage hop
 * costs a dispatch, a mailbox round and a demand round trip, and for a
 * batch that is a trip per batch on top of one per chunk. Processors now
 * call {@link Batcher.add} directly, and the batcher keeps `concurrency`
 * lanes that each run one batch at a time. The contract is the same:
 *
 * - A batch's timer starts when the batch opens and is not reset by later
 *   messages, so no message waits longer than `batchTimeout` here.
 * - With `partitionBy`, lane `i` runs the batches of partition `i`, in
 *   order; otherwise any free lane takes the oldest closed batch.
 * - Back-pressure: once more closed batches wait for a lane than there are
 *   lanes, `add` returns a promise and the processor waits for it before it
 *   takes more messages, so a slow `handleBatch` slows the whole pipeline
 *   down to the producer.
 * - Draining: once every processor has stopped, {@link Batcher.finish}
 *   flushes every open batch and resolves when all of them are acked.
 */
import { Fifo } from '../internal/fifo.ts';
import { isThenable } from '../internal/thenable.ts';
import { batchProcessor, type BatchProcessor } from './batch-processor.ts';
import { BatchTimers } from './batch-timers.ts';
import { Batches, type Batch, type EmittedBatch } from './batches.ts';
import type { ResolvedBatcher } from './definition.ts';
import type { Message } from './message.ts';
import { partitioner } from './partition.ts';
import type { PipelineRuntime } from './runtime.ts';
import { channels } from './telemetry.ts';

/** A lane runs one batch at a time; partitioned batchers queue per lane. */
interface Lane {
  readonly index: number;
  busy: boolean;
  readonly queue: Fifo<EmittedBatch>;
}

export class Batcher {
  readonly key: string;
  readonly #rt: PipelineRuntime;
  readonly #batches: Batches;
  readonly #timers: BatchTimers;
  readonly #run: BatchProcessor;
  readonly #lanes: Lane[];
  /** Closed batches of an unpartitioned batcher, waiting for any free lane. */
  readonly #shared = new Fifo<EmittedBatch>();
  readonly #partitionFor: ((message: Message) => number) | undefined;
  /** Closed batches waiting for a lane, across all queues. */
  #waiting = 0;
  #running = 0;
  /** Processors waiting for room, and whoever waits for the batcher to empty. */
  #roomWaiters: (() => void)[] = [];
  #idleWaiters: (() => void)[] = [];
  #pumping = false;
  #closed = false;
  /** The index the next lane added by {@link resize} gets (indices are never reused). */
  #nextLane: number;

  constructor(rt: PipelineRuntime, def: ResolvedBatcher) {
    this.key = def.key;
    this.#rt = rt;
    this.#run = batchProcessor(rt, def);
    this.#timers = new BatchTimers(def.batchTimeout, (batch) => this.#expire(batch));
    this.#batches = new Batches(def.key, def.batchSize, (closed) => this.#timers.stop(closed));
    this.#lanes = Array.from({ length: def.concurrency }, (_, index) => ({
      index,
      busy: false,
      queue: new Fifo<EmittedBatch>(),
    }));
    this.#nextLane = def.concurrency;
    // A partitionBy bug fails the message, not the batcher: it is still
    // batched (in partition 0) and acked as failed.
    this.#partitionFor =
      def.partitionBy === undefined
        ? undefined
        : partitioner(
            def.partitionBy,
            def.concurrency,
            rt.logger.child({ stage: 'batcher', batcher: def.key }),
          );
  }

  /**
   * Adds a processor's successful messages, in order. Returns a promise
   * when the processor must wait before it takes more: too many closed
   * batches are waiting for a lane. After {@link close} it does nothing:
   * a processor killed by a shutdown timeout may still finish a chunk, and
   * its messages stay un-acked for the source to redeliver.
   */
  add(messages: readonly Message[]): void | Promise<void> {
    if (this.#closed) return undefined;
    const rt = this.#rt;
    const start = channels.batcherStop.hasSubscribers ? performance.now() : 0;
    if (channels.batcherStart.hasSubscribers) {
      channels.batcherStart.publish({
        pipeline: rt.name,
        batcher: this.key,
        messages,
        context: rt.context,
      });
    }
    const batches = this.#batches;
    const partitionFor = this.#partitionFor;
    let flush = false;
    for (let i = 0; i < messages.length;) {
      const message = messages[i++] as Message;
      const closed = batches.add(message, partitionFor?.(message));
      if (message.batchMode === 'flush') flush = true;
      if (closed !== undefined) {
        this.#enqueue(closed);
        continue;
      }
      if (batches.opened !== undefined) this.#timers.start(batches.opened);
      // The messages after it that join the same batch, in one loop.
      if (partitionFor === undefined) i = batches.appendRun(messages, i);
    }
    if (flush) for (const closed of batches.flushFlagged()) this.#enqueue(closed);
    if (channels.batcherStop.hasSubscribers) {
      channels.batcherStop.publish({
        pipeline: rt.name,
        batcher: this.key,
        durationMs: performance.now() - start,
        context: rt.context,
      });
    }
    this.#pump();
    if (this.#waiting <= this.#lanes.length) return undefined;
    return new Promise((resolve) => this.#roomWaiters.push(resolve));
  }

  /**
   * No more messages will come: flushes every open batch and resolves once
   * every batch has been handled and acked.
   */
  finish(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    for (const closed of this.#batches.flushAll()) this.#enqueue(closed);
    this.#timers.clear();
    this.#pump();
    if (this.#waiting === 0 && this.#running === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** How many lanes run batches now. */
  get concurrency(): number {
    return this.#lanes.length;
  }

  /**
   * Runs up to `concurrency` batches at once from now on
   * (`pipeline.resize`, resize.ts). A lane removed while it runs a batch
   * finishes it, and the batch is acked as usual. Only for batchers
   * without `partitionBy`, whose lanes share one queue.
   */
  resize(concurrency: number): void {
    const lanes = this.#lanes;
    if (lanes.length > concurrency) lanes.length = concurrency;
    while (lanes.length < concurrency) {
      lanes.push({ index: this.#nextLane++, busy: false, queue: new Fifo<EmittedBatch>() });
    }
    this.#pump();
  }

  /** Stops at once (teardown): timers cleared, waiting batches left un-acked. */
  close(): void {
    this.#closed = true;
    this.#timers.clear();
    this.#release(this.#roomWaiters);
    this.#release(this.#idleWaiters);
  }

  #expire(batch: Batch): void {
    const expired = this.#batches.expire(batch);
    if (expired === undefined) return;
    this.#enqueue(expired);
    this.#pump();
  }

  #enqueue(batch: EmittedBatch): void {
    const partition = batch.info.partition;
    const queue = partition === undefined ? this.#shared : (this.#lanes[partition] as Lane).queue;
    queue.push(batch);
    this.#waiting++;
  }

  /**
   * Starts waiting batches on free lanes. A loop, not recursion: a
   * synchronous `handleBatch` finishes inside `#start` and frees its lane
   * for the next turn of the loop.
   */
  #pump(): void {
    if (this.#pumping || this.#closed) return;
    this.#pumping = true;
    try {
      let started = true;
      while (started && this.#waiting > 0) {
        started = false;
        for (const lane of this.#lanes) {
          if (lane.busy) continue;
          const batch = lane.queue.length > 0 ? lane.queue.shift() : this.#shared.shift();
          if (batch === undefined) continue;
          this.#waiting--;
          this.#start(lane, batch);
          started = true;
        }
      }
    } finally {
      this.#pumping = false;
    }
    if (this.#waiting <= this.#lanes.length) this.#release(this.#roomWaiters);
    if (this.#waiting === 0 && this.#running === 0) this.#release(this.#idleWaiters);
  }

  #start(lane: Lane, batch: EmittedBatch): void {
    lane.busy = true;
    this.#running++;
    let result: void | Promise<void> = undefined;
    try {
      result = this.#run(batch, lane.index);
    } catch (error) {
      this.#bug(error);
    }
    if (isThenable(result)) {
      result.then(
        () => this.#free(lane, true),
        (error: unknown) => {
          this.#bug(error);
          this.#free(lane, true);
        },
      );
    } else {
      // Synchronous: the pump loop that called us goes on with this lane.
      this.#free(lane, false);
    }
  }

  #free(lane: Lane, pump: boolean): void {
    lane.busy = false;
    this.#running--;
    if (pump) this.#pump();
  }

  /** The batch processor contains user errors: reaching here is a bug in it. */
  #bug(error: unknown): void {
    this.#rt.logger.error({ err: error, batcher: this.key }, 'batch processor failed');
  }

  #release(waiters: (() => void)[]): void {
    if (waiters.length === 0) return;
    const all = waiters.splice(0);
    for (const resolve of all) resolve();
  }
}
