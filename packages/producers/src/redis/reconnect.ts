/**
 * Riding out a lost server. The socket itself is reconnected by the
 * client (node-redis's `reconnectStrategy`, on `reconnectBackoff`); this file
 * paces the reader meanwhile: each failed read or claim in a row waits a
 * jittered, doubling delay before the next (pure: the caller sleeps), and
 * a read that timed out gets a fresh connection, since its XREADGROUP may
 * still be blocked on the old one.
 */
import { isBrokerError } from '../errors.ts';
import { jitteredDelay, type Backoff } from '../internal/retry.ts';

/** Failed reads in a row, and the pause each earns. */
export class ReadBackoff {
  readonly #backoff: Backoff;
  readonly #random: () => number;
  #failures = 0;

  constructor(backoff: Backoff, random: () => number = Math.random) {
    this.#backoff = backoff;
    this.#random = random;
  }

  /** Failed reads since the last that succeeded. */
  get failures(): number {
    return this.#failures;
  }

  /** A read failed: the pause before the next, in ms. */
  failed(): number {
    this.#failures += 1;
    return jitteredDelay(this.#failures, this.#backoff, this.#random);
  }

  /** A read succeeded. */
  succeeded(): void {
    this.#failures = 0;
  }
}

/** True when the reader's connection should be replaced after `error`. */
export function needsNewConnection(error: unknown): boolean {
  return isBrokerError(error, 'ERR_BROKER_TIMEOUT') || isBrokerError(error, 'ERR_BROKER_CLOSED');
}
