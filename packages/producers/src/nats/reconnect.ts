/**
 * Reconnection: the NATS client reconnects by itself, for ever, and asks
 * this policy how long to wait before each attempt. The pause grows with
 * the attempts since the connection was lost (the one backoff shape,
 * jittered) and starts over once it is back. Pure but for the counter; the
 * caller feeds it the client's status events.
 */
import { jitteredDelay, type Backoff } from '../internal/retry.ts';

/** The reconnect pauses of one connection. */
export class ReconnectPolicy {
  readonly #backoff: Backoff;
  readonly #random: () => number;
  #attempts = 0;

  constructor(backoff: Backoff, random: () => number = Math.random) {
    this.#backoff = backoff;
    this.#random = random;
  }

  /** Attempts since the connection was lost. */
  get attempts(): number {
    return this.#attempts;
  }

  /** The pause before the next attempt, in ms (the client's `reconnectDelayHandler`). */
  nextDelay(): number {
    this.#attempts += 1;
    return jitteredDelay(this.#attempts, this.#backoff, this.#random);
  }

  /** The connection is back: the next loss starts from `initial` again. */
  reconnected(): void {
    this.#attempts = 0;
  }
}
