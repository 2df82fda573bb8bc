/**
 * A sink shared by many concurrent `handleMessage` calls. Each call hands
 * over one message and waits for that message's own outcome; the writer
 * gathers the calls that arrive while a write is in flight (or within the
 * same turn of the event loop) and writes them together, at most
 * `maxBatchSize` per write. A message whose write failed, or was not
 * confirmed, comes back failed: never acked unconfirmed.
 *
 * Bounded: at most `maxBatchSize` messages wait for a write; a call beyond
 * that waits for room before its message is queued, so a slow sink slows
 * the callers instead of buffering without bound. Each caller has at most
 * one message outstanding, so what waits is bounded by the pipeline's own
 * concurrency.
 */
import { SluiceError, type Message } from '@sluice/core';
import { SinkError } from './errors.ts';
import { writeBatch, type Sink } from './sink.ts';

/** Options of {@link sinkWriter}. */
export interface SinkWriterOptions {
  /** The most messages in one `write`; also the most that wait for one. Default 100. */
  readonly maxBatchSize?: number;
  /** The most `write` calls in flight at once. Default 1. */
  readonly maxInFlight?: number;
}

/** Writes single messages through a sink, coalesced into batches; see {@link sinkWriter}. */
export interface SinkWriter<D = unknown> {
  /**
   * Queues `message` for the next write and resolves with it once written,
   * or failed with why not. When `signal` aborts before the message is
   * written, it resolves failed with the abort reason (a message already
   * handed to the sink may still be written: it is redelivered, never lost).
   */
  write<T extends Message<D>>(message: T, signal?: AbortSignal): Promise<T>;
  /** Messages waiting for a write (not yet handed to the sink). */
  readonly queued: number;
  /** `write` calls in flight on the sink. */
  readonly inFlight: number;
  /** Writes what is queued, waits for every write in flight; later `write` calls fail. */
  close(): Promise<void>;
}

interface Entry {
  readonly message: Message;
  readonly resolve: (message: Message) => void;
  readonly signal: AbortSignal | undefined;
  /** Set once its batch has been handed to the sink: tells that batch the caller gave up. */
  giveUp?: (reason: unknown) => void;
  done: boolean;
}

const positiveInteger = (name: string, value: number): number => {
  if (!Number.isInteger(value) || value < 1) {
    throw new SluiceError(
      'ERR_INVALID_OPTIONS',
      `sinkWriter: ${name} must be a positive integer, got ${String(value)}`,
    );
  }
  return value;
};

/**
 * A {@link SinkWriter} over `sink`, for `handleMessage`.
 *
 * @example
 * ```ts
 * const orders = sinkWriter(postgresSink({ url, table: 'orders', columns }), { maxBatchSize: 50 });
 * createPipeline({
 *   …,
 *   processors: { default: { concurrency: 8 } },
 *   handleMessage: (_processor, message, _context, signal) => orders.write(message, signal),
 * });
 * ```
 */
export function sinkWriter<D>(sink: Sink<D>, options: SinkWriterOptions = {}): SinkWriter<D> {
  const maxBatchSize = positiveInteger('maxBatchSize', options.maxBatchSize ?? 100);
  const maxInFlight = positiveInteger('maxInFlight', options.maxInFlight ?? 1);
  const queue: Entry[] = [];
  /** Callers waiting for room in the queue, oldest first. */
  const admissions: Entry[] = [];
  const writes = new Set<Promise<void>>();
  let scheduled = false;
  let closed = false;

  /**
   * The callers waiting, per abort signal: one listener per signal, however
   * many callers share it (a pipeline passes one signal to every call).
   */
  const watched = new Map<AbortSignal, { entries: Set<Entry>; listener: () => void }>();

  const watch = (entry: Entry, signal: AbortSignal): void => {
    let watch = watched.get(signal);
    if (watch === undefined) {
      const entries = new Set<Entry>();
      const listener = (): void => {
        for (const e of [...entries]) abandon(e, signal.reason);
      };
      watch = { entries, listener };
      watched.set(signal, watch);
      signal.addEventListener('abort', listener, { once: true });
    }
    watch.entries.add(entry);
  };

  const settle = (entry: Entry, message: Message): void => {
    if (entry.done) return;
    entry.done = true;
    const watch = entry.signal === undefined ? undefined : watched.get(entry.signal);
    if (watch !== undefined && entry.signal !== undefined) {
      watch.entries.delete(entry);
      if (watch.entries.size === 0) {
        entry.signal.removeEventListener('abort', watch.listener);
        watched.delete(entry.signal);
      }
    }
    entry.resolve(message);
  };

  /**
   * The caller gave up. Not yet handed to the sink: taken out of the line.
   * Already handed: the caller stops waiting; the message may still be
   * written, and failing it means a redelivery, never a loss.
   */
  const abandon = (entry: Entry, reason: unknown): void => {
    if (entry.giveUp !== undefined) entry.giveUp(reason);
    else if (!remove(queue, entry)) remove(admissions, entry);
    settle(entry, entry.message.fail(reason));
    admit();
  };

  const remove = (list: Entry[], entry: Entry): boolean => {
    const at = list.indexOf(entry);
    if (at >= 0) list.splice(at, 1);
    return at >= 0;
  };

  /** Moves waiting callers into the queue while there is room. */
  const admit = (): void => {
    while (admissions.length > 0 && queue.length < maxBatchSize) {
      queue.push(admissions.shift() as Entry);
    }
    schedule();
  };

  const schedule = (): void => {
    if (scheduled || queue.length === 0 || writes.size >= maxInFlight) return;
    scheduled = true;
    // The next turn: calls arriving in this one join the same write.
    setTimeout(() => {
      scheduled = false;
      dispatch();
    }, 0);
  };

  const dispatch = (): void => {
    while (queue.length > 0 && writes.size < maxInFlight) {
      const batch = queue.splice(0, maxBatchSize);
      const write = send(batch).finally(() => {
        writes.delete(write);
        dispatch();
      });
      writes.add(write);
      admit();
    }
  };

  const send = async (batch: Entry[]): Promise<void> => {
    // The write is abandoned only when every caller in it has given up.
    const controller = new AbortController();
    let staying = batch.length;
    const giveUp = (reason: unknown): void => {
      staying -= 1;
      if (staying === 0) controller.abort(reason);
    };
    for (const entry of batch) entry.giveUp = giveUp;
    const result = await writeBatch(
      sink,
      batch.map((e) => e.message as Message<D>),
      controller.signal,
    );
    batch.forEach((entry, i) => settle(entry, result[i] as Message));
  };

  const closedError = (): SinkError =>
    new SinkError('ERR_SINK_UNAVAILABLE', sink.name, 'the sink writer is closed; nothing written');

  return {
    get queued() {
      return queue.length;
    },
    get inFlight() {
      return writes.size;
    },
    write<T extends Message<D>>(message: T, signal?: AbortSignal): Promise<T> {
      if (closed) return Promise.resolve(message.fail(closedError()) as unknown as T);
      if (signal?.aborted === true) {
        return Promise.resolve(message.fail(signal.reason) as unknown as T);
      }
      return new Promise<T>((resolve) => {
        const entry: Entry = { message, resolve: (m) => resolve(m as T), signal, done: false };
        if (signal !== undefined) watch(entry, signal);
        if (queue.length < maxBatchSize && admissions.length === 0) queue.push(entry);
        else admissions.push(entry);
        schedule();
      });
    },
    async close(): Promise<void> {
      closed = true;
      for (;;) {
        dispatch();
        if (writes.size === 0) break;
        await Promise.race(writes);
      }
    },
  };
}
