/**
 * `RedisConsumer`: one producer instance (the pipeline starts `concurrency`
 * of them), one consumer of the group, named `<consumer>-<index>`. It runs
 * its own read loop against its own demand and hands the entries on, acked
 * through the {@link RedisRun} all instances share.
 */
import type { ProducerContext, ProducerInstance } from '@sluice/core';
import { Reader } from './reader.ts';
import type { RedisRun } from './run.ts';

/** One producer instance over a {@link RedisRun}. */
export class RedisConsumer implements ProducerInstance {
  readonly #reader: Reader;
  readonly #run: RedisRun;
  readonly #index: number;
  readonly #onTerminate: () => Promise<void>;

  /**
   * @param consumer this instance's consumer name in the group
   * @param onTerminate runs once reading has stopped, when the pipeline
   *   terminates this instance (e.g. closes a run it opened itself)
   */
  constructor(
    run: RedisRun,
    consumer: string,
    context: ProducerContext,
    onTerminate: () => Promise<void>,
  ) {
    const o = run.options;
    this.#run = run;
    this.#index = context.index;
    this.#onTerminate = onTerminate;
    this.#reader = new Reader({
      client: run.client,
      connection: run.readerConnection(),
      stream: o.stream,
      group: o.group,
      consumer,
      count: o.count,
      block: o.block,
      claimIdle: o.claimIdle,
      claimInterval: o.claimInterval,
      reconnectBackoff: o.reconnectBackoff,
      logger: context.logger,
      beforeRead: (connection) => run.acker.sendWaitingOn(connection),
      onEntries: (entries, retries) => {
        context.emit(run.toMessages(entries, consumer, retries));
      },
    });
  }

  handleDemand(demand: number): void {
    this.#reader.demand(demand);
  }

  prepareForDraining(): Promise<void> {
    return this.#reader.drain();
  }

  /** For `pipeline.health()`: false while reads fail, until one succeeds. */
  connected(): boolean {
    return this.#reader.connected;
  }

  /**
   * Acks taken by the pipeline that Redis has not confirmed. The instances
   * share one XACK coalescer, so instance 0 reports for all of them.
   */
  unconfirmed(): number {
    return this.#index === 0 ? this.#run.acker.unconfirmed() : 0;
  }

  async terminate(): Promise<void> {
    await this.#reader.drain();
    await this.#onTerminate();
  }
}
