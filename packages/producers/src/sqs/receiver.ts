/**
 * The receive loop of one producer instance. It runs outside
 * `handleDemand`: each ReceiveMessage call is started by {@link ReceivePlan}
 * against the unmet demand, and its messages are handed on as soon as it
 * returns. An empty receive pauses polling for `receiveInterval`; a failed
 * one backs off with jitter and is reported, never thrown. Draining aborts
 * the long polls in flight at once.
 */
import type { Logger } from '@sluice/core';
import { redactUrl } from '@sluice/core';
import { jitteredDelay } from '../internal/retry.ts';
import type { SqsClient, SqsMessage, SqsReceiveOptions } from './client.ts';
import { ReceivePlan } from './receive-plan.ts';
import { channels } from './telemetry.ts';

/**
 * The first and the longest pause after failed receives, in ms. The pause
 * doubles with each failed round (see {@link Receiver}), so a dead endpoint
 * is asked about every 5 to 10 s, and one that comes back after a short
 * outage is found again within about one pause.
 */
const ERROR_BACKOFF_BASE_MS = 500;
const ERROR_BACKOFF_MAX_MS = 10_000;

export interface ReceiverOptions {
  readonly client: SqsClient;
  readonly queueUrl: string;
  readonly index: number;
  readonly logger: Logger;
  /** Passed on every ReceiveMessage; `maxNumberOfMessages` comes from the plan. */
  readonly receive: Omit<SqsReceiveOptions, 'maxNumberOfMessages' | 'signal'>;
  readonly maxNumberOfMessages: number;
  readonly maxConcurrentReceives: number;
  readonly receiveInterval: number;
  /** Gets every non-empty receive's messages, within the demand. */
  readonly onMessages: (messages: SqsMessage[]) => void;
  readonly random?: () => number;
}

export class Receiver {
  readonly #o: ReceiverOptions;
  readonly #plan: ReceivePlan;
  readonly #abort = new AbortController();
  readonly #calls = new Set<Promise<void>>();
  #draining = false;
  #pause: { readonly timer: NodeJS.Timeout; readonly kind: 'empty' | 'error' } | undefined;
  /** Failed rounds in a row: a round is the receives in flight when one fails. */
  #errors = 0;
  /** When the last failure that counted was seen (performance.now()). */
  #failedAt = Number.NEGATIVE_INFINITY;
  /** When the current round's pause ends (performance.now()). */
  #retryAt = 0;

  constructor(options: ReceiverOptions) {
    this.#o = options;
    this.#plan = new ReceivePlan(options.maxConcurrentReceives, options.maxNumberOfMessages);
    // Start with one receive: parallel long polls only once the queue has shown it has messages.
    this.#plan.starved = true;
  }

  /** False from a failed receive until one succeeds (for `pipeline.health()` readiness). */
  get connected(): boolean {
    return this.#errors === 0;
  }

  /** The demand not yet met, for tests and diagnostics. */
  get unmet(): number {
    return this.#plan.unmet;
  }

  /** The pipeline wants `demand` more messages. */
  demand(demand: number): void {
    this.#plan.addDemand(demand);
    this.#pump();
  }

  /** Stops receiving: aborts the receives in flight and resolves once they have settled. */
  async drain(): Promise<void> {
    this.#draining = true;
    this.#unpause();
    this.#abort.abort();
    while (this.#calls.size > 0) await Promise.all([...this.#calls]);
  }

  #pump(): void {
    if (this.#draining || this.#pause !== undefined) return;
    for (const ask of this.#plan.next()) {
      const call = this.#receive(ask);
      this.#calls.add(call);
      void call.finally(() => this.#calls.delete(call));
    }
  }

  async #receive(ask: number): Promise<void> {
    const { client, queueUrl, index, logger } = this.#o;
    if (channels.receiveStart.hasSubscribers) {
      channels.receiveStart.publish({ queueUrl, index, demand: ask });
    }
    const started = performance.now();
    let messages: SqsMessage[];
    try {
      messages = await client.receiveMessages(queueUrl, {
        ...this.#o.receive,
        maxNumberOfMessages: ask,
        signal: this.#abort.signal,
      });
    } catch (error) {
      this.#plan.done(ask, 0);
      if (this.#draining) return; // aborted by drain(): nothing was received
      // Up to maxConcurrentReceives calls fail together when the endpoint
      // goes away. Only a call started after the last counted failure
      // starts a new round: counting every call would double the pause ten
      // times for one outage and find the endpoint again only 15-30 s after
      // it came back. The others are reported on the channel only.
      const newRound = started > this.#failedAt;
      const now = performance.now();
      if (newRound) {
        this.#failedAt = now;
        this.#errors += 1;
        this.#retryAt =
          now +
          jitteredDelay(
            this.#errors,
            { initial: ERROR_BACKOFF_BASE_MS, max: ERROR_BACKOFF_MAX_MS },
            this.#o.random,
          );
      }
      const retryInMs = Math.max(0, Math.round(this.#retryAt - now));
      if (channels.receiveException.hasSubscribers) {
        channels.receiveException.publish({
          queueUrl,
          index,
          demand: ask,
          error,
          durationMs: now - started,
          retryInMs,
        });
      }
      if (!newRound) {
        // Its round's pause pumps when it ends; if that has passed already,
        // this call's share of the demand is asked for again now.
        if (this.#pause === undefined) this.#pump();
        return;
      }
      logger.warn(
        { err: error, queueUrl: redactUrl(queueUrl), failures: this.#errors, retryInMs },
        `SQS receive failed; retrying in ${retryInMs} ms`,
      );
      this.#pauseFor(retryInMs, 'error');
      return;
    }
    this.#errors = 0;
    // SQS never returns more than asked; guard anyway, demand is a promise to the pipeline.
    if (messages.length > ask) messages = messages.slice(0, ask);
    this.#plan.done(ask, messages.length);
    if (channels.receiveStop.hasSubscribers) {
      channels.receiveStop.publish({
        queueUrl,
        index,
        demand: ask,
        count: messages.length,
        durationMs: performance.now() - started,
      });
    }
    if (messages.length > 0) {
      this.#o.onMessages(messages);
      if (this.#pause?.kind === 'empty') this.#unpause();
      this.#pump();
    } else if (this.#o.receiveInterval > 0) {
      this.#pauseFor(this.#o.receiveInterval, 'empty');
    } else {
      this.#pump();
    }
  }

  #pauseFor(ms: number, kind: 'empty' | 'error'): void {
    if (this.#draining) return;
    if (this.#pause !== undefined) {
      if (this.#pause.kind === 'error' && kind === 'empty') return;
      clearTimeout(this.#pause.timer);
    }
    const timer = setTimeout(() => {
      this.#pause = undefined;
      this.#pump();
    }, ms);
    this.#pause = { timer, kind };
  }

  #unpause(): void {
    if (this.#pause === undefined) return;
    clearTimeout(this.#pause.timer);
    this.#pause = undefined;
  }
}
