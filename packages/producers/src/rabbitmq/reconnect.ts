/**
 * Reconnecting one producer instance: after a loss, one attempt at a time,
 * each after a jittered exponential delay (`backoff`, internal/retry.ts),
 * until one succeeds or the producer stops. Every failed attempt is logged
 * and published; a success resets the count.
 */
import type { Logger } from '@sluice/core';
import { messageOf } from '../internal/error-helpers.ts';
import { jitteredDelay, type Backoff } from '../internal/retry.ts';
import { channels, type RabbitMqEventBase } from './telemetry.ts';

/** What a {@link Reconnector} needs from its producer instance. */
export interface ReconnectParams {
  readonly backoff: Backoff;
  readonly random: () => number;
  readonly logger: Logger;
  readonly base: RabbitMqEventBase;
  /** Opens a new generation; rejects when that fails. */
  open(): Promise<void>;
  /** True once the producer instance no longer wants a connection. */
  stopping(): boolean;
  /** A reconnect was scheduled (for the stats). */
  scheduled(): void;
}

/** Schedules reconnect attempts for one producer instance; see the file header. */
export class Reconnector {
  readonly #p: ReconnectParams;
  #attempt = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(params: ReconnectParams) {
    this.#p = params;
  }

  /** A connection is up: the next loss starts from attempt 1 again. */
  connected(): void {
    this.#attempt = 0;
  }

  /** Schedules the next attempt, after its delay. */
  schedule(reason: string): void {
    const attempt = ++this.#attempt;
    const delayMs = jitteredDelay(attempt, this.#p.backoff, this.#p.random);
    this.#p.scheduled();
    if (channels.reconnect.hasSubscribers) {
      channels.reconnect.publish({ ...this.#p.base, attempt, delayMs, reason });
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#reconnect(attempt);
    }, delayMs);
  }

  /** Cancels a scheduled attempt. */
  cancel(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Logs and publishes a failed attempt; 0 is the first connection, at start. */
  failed(attempt: number, error: unknown): void {
    const reason = messageOf(error);
    this.#p.logger.warn(
      { err: error, queue: this.#p.base.queue, attempt },
      `connecting to RabbitMQ failed: ${reason}`,
    );
    if (channels.connectionFailure.hasSubscribers) {
      channels.connectionFailure.publish({ ...this.#p.base, attempt, reason, error });
    }
  }

  async #reconnect(attempt: number): Promise<void> {
    if (this.#p.stopping()) return;
    try {
      await this.#p.open();
    } catch (error) {
      this.failed(attempt, error);
      if (!this.#p.stopping()) this.schedule(messageOf(error));
    }
  }
}
