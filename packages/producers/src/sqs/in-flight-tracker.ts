/**
 * Which received messages are still in flight, and when their visibility
 * must be extended (pure: the caller passes the clock).
 *
 * A message is tracked from the moment it is received until it is acked.
 * Its deadline is when SQS would make it visible again. Once less than
 * `leadMs` of it is left, it is due: the heartbeat extends it by the
 * visibility timeout, and its deadline moves on.
 */

/** A message in flight. */
export interface InFlightEntry {
  readonly receiptHandle: string;
  readonly messageId: string;
  /** `Date.now()` after which SQS would redeliver it. */
  deadline: number;
  /** An extension call for it is in progress. */
  extending: boolean;
}

export class InFlightTracker {
  readonly #entries = new Map<string, InFlightEntry>();

  /**
   * @param visibilityMs how long one receive or extension keeps a message hidden
   * @param leadMs extend a message once less than this is left of its visibility
   */
  readonly visibilityMs: number;
  readonly leadMs: number;

  constructor(visibilityMs: number, leadMs: number) {
    this.visibilityMs = visibilityMs;
    this.leadMs = leadMs;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** A message was received at `now`. */
  track(receiptHandle: string, messageId: string, now: number): void {
    this.#entries.set(receiptHandle, {
      receiptHandle,
      messageId,
      deadline: now + this.visibilityMs,
      extending: false,
    });
  }

  /** The message was acked (or given up on): stop extending it. */
  untrack(receiptHandle: string): void {
    this.#entries.delete(receiptHandle);
  }

  has(receiptHandle: string): boolean {
    return this.#entries.has(receiptHandle);
  }

  /** The messages to extend now; they are marked as extending until {@link extended} or {@link failed}. */
  due(now: number): InFlightEntry[] {
    const out: InFlightEntry[] = [];
    for (const entry of this.#entries.values()) {
      if (!entry.extending && entry.deadline - now <= this.leadMs) {
        entry.extending = true;
        out.push(entry);
      }
    }
    return out;
  }

  /** The extension call made at `at` succeeded for these messages. */
  extended(receiptHandles: readonly string[], at: number): void {
    for (const handle of receiptHandles) {
      const entry = this.#entries.get(handle);
      if (entry === undefined) continue;
      entry.deadline = at + this.visibilityMs;
      entry.extending = false;
    }
  }

  /** The extension failed for these messages; they may be tried again on the next tick. */
  failed(receiptHandles: readonly string[]): void {
    for (const handle of receiptHandles) {
      const entry = this.#entries.get(handle);
      if (entry !== undefined) entry.extending = false;
    }
  }

  /** Forgets every message. */
  clear(): void {
    this.#entries.clear();
  }
}
