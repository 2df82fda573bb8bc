/**
 * Demand accounting for the SQS receiver (pure: no timers, no I/O).
 *
 * The pipeline asks for messages; SQS gives at most 10 per ReceiveMessage.
 * The plan keeps the demand not yet met, and how much of it the receives in
 * flight already cover, and says which receives to start: up to
 * `maxConcurrent` at once, each for `min(maxPerRequest, uncovered demand)`.
 * So the producer never asks SQS for more than the pipeline wants, and a
 * processor concurrency of 100 is fed by several receives in parallel.
 *
 * After an empty receive the queue is probably empty: the plan is then
 * "starved" and runs one receive at a time (one long poll, not ten) until
 * a receive brings messages again.
 */
export class ReceivePlan {
  /** Demand asked for and not yet met by received messages. */
  unmet = 0;
  /** Messages asked for by the receives in flight. */
  covered = 0;
  /** Receives in flight. */
  inFlight = 0;
  /** The last receive came back empty: one receive at a time. */
  starved = false;

  readonly maxConcurrent: number;
  readonly maxPerRequest: number;

  constructor(maxConcurrent: number, maxPerRequest: number) {
    this.maxConcurrent = maxConcurrent;
    this.maxPerRequest = maxPerRequest;
  }

  /** The pipeline asked for `demand` more messages. */
  addDemand(demand: number): void {
    this.unmet += demand;
  }

  /**
   * The receives to start now, each the number of messages to ask for. They
   * count as in flight until {@link done}.
   */
  next(): number[] {
    const asks: number[] = [];
    const limit = this.starved ? 1 : this.maxConcurrent;
    while (this.inFlight < limit && this.unmet - this.covered > 0) {
      const ask = Math.min(this.maxPerRequest, this.unmet - this.covered);
      this.covered += ask;
      this.inFlight += 1;
      asks.push(ask);
    }
    return asks;
  }

  /** A receive that asked for `ask` brought `received` messages (0 if it failed). */
  done(ask: number, received: number): void {
    this.covered -= ask;
    this.inFlight -= 1;
    this.unmet -= received;
    this.starved = received === 0;
  }
}
