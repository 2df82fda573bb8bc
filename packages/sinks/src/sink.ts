/**
 * The sink contract: a sink writes a batch and says, per message, whether
 * that message's write was confirmed. {@link writeBatch} turns the outcomes
 * into what `handleBatch` returns: the messages whose write failed are
 * failed (so they go through `handleFailed` and the producer's failure
 * policy), the rest succeed and are acked. Never the reverse: a message the
 * sink did not confirm is never returned as successful.
 */
import { SluiceError, type Message } from '@sluice/core';

/** One message's outcome: written (confirmed by the service) or failed, with why. */
export type SinkOutcome = { readonly ok: true } | { readonly ok: false; readonly reason: unknown };

/** The outcome of a confirmed write. */
export const WRITTEN: SinkOutcome = Object.freeze({ ok: true });

/** A failed outcome with `reason`. */
export const failedWith = (reason: unknown): SinkOutcome => ({ ok: false, reason });

/**
 * Writes messages somewhere. `write` resolves with one outcome per message,
 * in the order given; it rejects only when nothing can be said about any of
 * them (then every message of the batch fails).
 */
export interface Sink<D = unknown> {
  /** What the sink writes to, for errors and logs, e.g. `PostgreSQL table orders`. */
  readonly name: string;
  /** Writes `messages`; one outcome per message, in order. */
  write(messages: readonly Message<D>[], signal?: AbortSignal): Promise<readonly SinkOutcome[]>;
  /** Releases connections; pending writes finish first. */
  close(): Promise<void>;
  /**
   * Connects and checks that the destination is there (a topic, a queue, a
   * table), writing nothing; rejects saying why not. `sluice dry-run` calls
   * it. Optional: a sink without it is reported as not checked.
   */
  probe?(): Promise<void>;
}

/**
 * Writes `messages` through `sink` and returns them, each failed whose write
 * failed, ready to return from `handleBatch`. A `write` that rejects, or
 * that returns the wrong number of outcomes, fails every message: nothing
 * unconfirmed is acked.
 *
 * @example
 * ```ts
 * handleBatch: (_batcher, messages, _info, _context, signal) =>
 *   writeBatch(ordersTable, messages, signal),
 * ```
 */
export async function writeBatch<D, T extends Message<D>>(
  sink: Sink<D>,
  messages: readonly T[],
  signal?: AbortSignal,
): Promise<T[]> {
  let outcomes: readonly SinkOutcome[];
  try {
    outcomes = await sink.write(messages, signal);
  } catch (error) {
    return messages.map((m) => m.fail(error) as unknown as T);
  }
  if (!Array.isArray(outcomes) || outcomes.length !== messages.length) {
    const got = Array.isArray(outcomes) ? `${outcomes.length} outcomes` : typeof outcomes;
    const error = new SluiceError(
      'ERR_BAD_RETURN',
      `${sink.name}: write() must return one outcome per message (${messages.length}), got ${got}; the batch fails`,
    );
    return messages.map((m) => m.fail(error) as unknown as T);
  }
  return messages.map((m, i) => {
    const outcome = outcomes[i] as SinkOutcome;
    return outcome.ok === true ? m : (m.fail(outcome.reason) as unknown as T);
  });
}

/** A `handleBatch` callback that writes every batch through `sink` with {@link writeBatch}. */
export function sinkHandler<D>(
  sink: Sink<D>,
): (
  batcher: string,
  messages: Message<D>[],
  info: unknown,
  context: unknown,
  signal?: AbortSignal,
) => Promise<Message<D>[]> {
  return (_batcher, messages, _info, _context, signal) => writeBatch(sink, messages, signal);
}
