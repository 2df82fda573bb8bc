/**
 * The pull loop of one producer instance: pulls (`fetch`) ask for the
 * demand not yet asked for, at most `maxMessages` each and at most
 * `maxConcurrentFetches` at once, and each message is handed on as it
 * arrives. Demand that arrives within one event-loop turn (processors
 * finishing together each ask for a few more) is added up into one pull
 * rather than a small pull each. A failed pull backs off with jitter and is reported, never
 * thrown; the connection's own reconnect brings the next one through.
 * Draining aborts the pulls in flight.
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
  readonly maxConcurrentFetches: number;
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
  readonly #pulls = new Set<Promise<void>>();
  /** Demand not yet met. */
  #unmet = 0;
  /** Messages the pulls in flight may still bring. */
  #asked = 0;
  #draining = false;
  #errors = 0;
  #pause: NodeJS.Timeout | undefined;
  /** Pulls once the demand of this event-loop turn has been added up. */
  #tick: NodeJS.Immediate | undefined;

  constructor(options: FetcherOptions) {
    this.#o = options;
  }

  /** The demand not yet met. */
  get unmet(): number {
    return this.#unmet;
  }

  /** False from a failed pull until a pull succeeds: the server cannot be reached. */
  get connected(): boolean {
    return this.#errors === 0;
  }

  /** The pipeline wants `demand` more messages. */
  demand(demand: number): void {
    this.#unmet += demand;
    this.#tick ??= setImmediate(() => {
      this.#tick = undefined;
      this.#pump();
    });
  }

  /** Stops pulling: aborts the pulls in flight and resolves once they have ended. */
  async drain(): Promise<void> {
    this.#draining = true;
    clearImmediate(this.#tick);
    this.#tick = undefined;
    clearTimeout(this.#pause);
    this.#pause = undefined;
    this.#abort.abort();
    while (this.#pulls.size > 0) await Promise.all([...this.#pulls]);
  }

  #pump(): void {
    while (
      !this.#draining &&
      this.#pause === undefined &&
      this.#pulls.size < this.#o.maxConcurrentFetches &&
      this.#unmet - this.#asked > 0
    ) {
      const ask = Math.min(this.#unmet - this.#asked, this.#o.maxMessages);
      this.#asked += ask;
      const pull = this.#pull(ask).finally(() => {
        this.#pulls.delete(pull);
        this.#pump();
      });
      this.#pulls.add(pull);
    }
  }

  async #pull(ask: number): Promise<void> {
    const { client, stream, consumer, index } = this.#o;
    if (channels.fetchStart.hasSubscribers) {
      channels.fetchStart.publish({ stream, consumer, index, demand: ask });
    }
    const started = performance.now();
    let count = 0;
    try {
      await client.fetch(
        { max: ask, expiresMs: this.#o.expiresMs, signal: this.#abort.signal },
        (m) => {
          // A pull never brings more than asked; guard anyway, demand is a
          // promise: a message beyond it goes back at once.
          if (count >= ask || this.#unmet <= 0) {
            m.nak(0);
            return;
          }
          count += 1;
          this.#unmet -= 1;
          this.#asked -= 1;
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
        channels.fetchException.publish({ stream, consumer, index, demand: ask, error, retryInMs });
      }
      this.#o.logger.warn(
        { err: error, stream, consumer, failures: this.#errors, retryInMs },
        `NATS pull failed; retrying in ${retryInMs} ms`,
      );
      clearTimeout(this.#pause);
      this.#pause = setTimeout(() => {
        this.#pause = undefined;
        this.#pump();
      }, retryInMs);
    } finally {
      // What was asked and not brought is asked again by the next pull.
      this.#asked -= ask - count;
    }
  }
}
