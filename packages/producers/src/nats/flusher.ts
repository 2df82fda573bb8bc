/**
 * Shares flushes between ack calls. A plain `ack()` is fire and forget;
 * an ack call resolves once a flush (a PING the server answers after
 * reading everything written before it) sent after its acks has returned.
 * Many processors acking a few messages each would otherwise send one
 * flush each: here at most one is in flight, and the ack calls that arrive
 * meanwhile share the next one.
 */

/** Flushes through `flush`, at most one in flight and one waiting. */
export class Flusher {
  readonly #flush: () => Promise<void>;
  #inFlight: Promise<void> | undefined;
  #next: Promise<void> | undefined;

  constructor(flush: () => Promise<void>) {
    this.#flush = flush;
  }

  /** Resolves once a flush sent after this call has returned (rejects if it failed). */
  flush(): Promise<void> {
    if (this.#inFlight === undefined) return this.#start();
    // The flush in flight was sent before this call's writes: wait for the next.
    this.#next ??= this.#inFlight
      .catch(() => undefined)
      .then(() => {
        this.#next = undefined;
        return this.#start();
      });
    return this.#next;
  }

  #start(): Promise<void> {
    const call = this.#flush().finally(() => {
      if (this.#inFlight === call) this.#inFlight = undefined;
    });
    this.#inFlight = call;
    return call;
  }
}
