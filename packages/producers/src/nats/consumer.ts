/**
 * `NatsConsumer`: one producer instance (the pipeline starts `concurrency`
 * of them). It runs its own pull loop against its own demand and hands the
 * messages on, acked through the {@link NatsRun} all instances share.
 */
import type { ProducerContext, ProducerInstance } from '@sluice/core';
import { Fetcher } from './fetcher.ts';
import type { ResolvedNatsOptions } from './options.ts';
import type { NatsRun } from './run.ts';

/** One producer instance over a {@link NatsRun}. */
export class NatsConsumer implements ProducerInstance {
  readonly #fetcher: Fetcher;
  readonly #onTerminate: () => Promise<void>;
  readonly #emit: (messages: readonly unknown[]) => void;
  /** Messages pulled and not yet emitted: emitted together once the socket read is done. */
  #pending: unknown[] = [];
  #flush: NodeJS.Immediate | undefined;

  /**
   * @param onTerminate runs once the pulls have stopped, when the pipeline
   *   terminates this instance (e.g. closes a run it opened itself)
   */
  constructor(
    run: NatsRun,
    options: ResolvedNatsOptions,
    context: ProducerContext,
    onTerminate: () => Promise<void>,
  ) {
    this.#onTerminate = onTerminate;
    this.#emit = (messages) => context.emit(messages);
    this.#fetcher = new Fetcher({
      client: run.client,
      stream: options.stream,
      consumer: options.consumer,
      index: context.index,
      maxMessages: options.maxMessages,
      maxConcurrentFetches: options.maxConcurrentFetches,
      expiresMs: options.fetchExpires,
      logger: context.logger,
      onMessage: (m) => {
        this.#pending.push(run.toMessage(m));
        this.#flush ??= setImmediate(() => this.#emitPending());
      },
    });
  }

  handleDemand(demand: number): void {
    this.#fetcher.demand(demand);
  }

  async prepareForDraining(): Promise<void> {
    await this.#fetcher.drain();
    this.#emitPending();
  }

  /** For `pipeline.health()`: false while pulls fail, until one succeeds. */
  connected(): boolean {
    return this.#fetcher.connected;
  }

  async terminate(): Promise<void> {
    await this.#fetcher.drain();
    this.#emitPending();
    await this.#onTerminate();
  }

  #emitPending(): void {
    clearImmediate(this.#flush);
    this.#flush = undefined;
    if (this.#pending.length === 0) return;
    const messages = this.#pending;
    this.#pending = [];
    this.#emit(messages);
  }
}
