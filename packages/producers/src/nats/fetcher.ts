/**
 * The pull loop of one producer instance: one `fetch` at a time, asking
 * for the unmet demand (at most `maxMessages`), each message handed on as
 * it arrives. A failed pull backs off with jitter and is reported, never
 * thrown; the connection's own reconnect brings the next one through.
 * Draining aborts the pull in flight.
 */
import type { Logger } from '@sluice/core';
import { jitteredDelay } from '../internal/retry.ts';
import type { NatsClient, NatsMessage } from './client.ts';
import { channels } from './telemetry.ts';

/** Pauses after failed pulls, in ms. */
const ERROR_BACKOFF = { initial: 250, max: 10_000 } as const;

/** What a {@link Fetcher} needs. */
export interface FetcherOptions {
  readonly client: NatsClient;
  readonly stream: string;
  readonly consumer: string;
  readonly index: number;
  readonly maxMessages: number;
  readonly expiresMs: number;
  readonly logger: Logger;
  /** Gets every message, within the demand. */
  readonly onMessage: (message: NatsMessage) => void;
  readonly random?: () => number;
}

/** Pulls against demand until drained. */
export class Fetcher {
  readonly #o: FetcherOptions;
  readonly #abort = new AbortController();
  #unmet = 0;
  #running: Promise<void> | undefined;
  #draining = false;
  #errors = 0;
  #pause: { timer: NodeJS.Timeout; resolve: () => void } | undefined;

  constructor(options: FetcherOptions) {
    this.#o = options;
  }

  /** The demand not yet met. */
  get unmet(): number {
    return this.#unmet;
  }

  /** The pipeline wants `demand` more messages. */
  demand(demand: number): void {
    this.#unmet += demand;
    this.#running ??= this.#loop().finally(() => (this.#running = undefined));
  }

  /** Stops pulling: aborts the pull in flight and resolves once it has ended. */
  async drain(): Promise<void> {
    this.#draining = true;
    this.#abort.abort();
    if (this.#pause !== undefined) {
      clearTimeout(this.#pause.timer);
      this.#pause.resolve();
    }
    await this.#running;
  }

  async #loop(): Promise<void> {
    while (this.#unmet > 0 && !this.#draining) {
      const { client, stream, consumer, index } = this.#o;
      const ask = Math.min(this.#unmet, this.#o.maxMessages);
      if (channels.fetchStart.hasSubscribers) {
        channels.fetchStart.publish({ stream, consumer, index, demand: ask });
      }
      const started = performance.now();
      let count = 0;
      try {
        await client.fetch(
          { max: ask, expiresMs: this.#o.expiresMs, signal: this.#abort.signal },
          (m) => {
            // A pull never brings more than asked; guard anyway, demand is a promise.
            if (this.#unmet <= 0) return;
            count += 1;
            this.#unmet -= 1;
            this.#o.onMessage(m);
          },
        );
        this.#errors = 0;
        if (channels.fetchStop.hasSubscribers) {
          channels.fetchStop.publish({
            stream,
            consumer,
            index,
            demand: ask,
            count,
            durationMs: performance.now() - started,
          });
        }
      } catch (error) {
        if (this.#draining) return;
        this.#errors += 1;
        const retryInMs = jitteredDelay(this.#errors, ERROR_BACKOFF, this.#o.random);
        if (channels.fetchException.hasSubscribers) {
          channels.fetchException.publish({
            stream,
            consumer,
            index,
            demand: ask,
            error,
            retryInMs,
          });
        }
        this.#o.logger.warn(
          { err: error, stream, consumer, failures: this.#errors, retryInMs },
          `NATS pull failed; retrying in ${retryInMs} ms`,
        );
        await new Promise<void>((resolve) => {
          this.#pause = { timer: setTimeout(resolve, retryInMs), resolve };
        });
        this.#pause = undefined;
      }
    }
  }
}
