/**
 * `working()` heartbeats: while the pipeline holds a message (in a
 * processor, a buffer or a batcher), it tells the server every half of the
 * consumer's `ackWait`, so the server does not redeliver it, as the SQS
 * producer extends visibility. A message is held from its delivery until
 * it is acked, `nak`ed or `term`ed.
 */
import type { NatsMessage } from './client.ts';

/** The held messages and the timer that keeps them alive. */
export class Heartbeats {
  readonly #held = new Set<NatsMessage>();
  readonly #intervalMs: number;
  readonly #enabled: boolean;
  readonly #onBeat: (count: number) => void;
  #timer: NodeJS.Timeout | undefined;

  /**
   * @param ackWaitMs the consumer's ack wait; the heartbeat runs every half of it
   * @param onBeat told how many messages each beat kept alive
   */
  constructor(
    ackWaitMs: number,
    enabled: boolean,
    onBeat: (count: number) => void = () => undefined,
  ) {
    this.#intervalMs = Math.max(50, ackWaitMs / 2);
    this.#enabled = enabled;
    this.#onBeat = onBeat;
  }

  /** Messages held now. */
  get size(): number {
    return this.#held.size;
  }

  /** The pipeline now holds `message`. */
  hold(message: NatsMessage): void {
    if (!this.#enabled) return;
    this.#held.add(message);
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => this.#beat(), this.#intervalMs);
      this.#timer.unref();
    }
  }

  /** `message` was settled (acked, `nak`ed or `term`ed). */
  release(message: NatsMessage): void {
    this.#held.delete(message);
    if (this.#held.size === 0) this.#stopTimer();
  }

  /** Forgets every message and stops the timer. */
  stop(): void {
    this.#held.clear();
    this.#stopTimer();
  }

  #beat(): void {
    for (const m of this.#held) {
      try {
        m.working();
      } catch {
        // A closed connection: the message will be redelivered anyway.
      }
    }
    this.#onBeat(this.#held.size);
  }

  #stopTimer(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
