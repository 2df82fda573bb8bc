/**
 * `SqsConsumer`: one producer instance (the pipeline starts `concurrency` of
 * them). It runs its own receive loop against its own demand and hands the
 * messages on, acked through the {@link SqsRun} all instances share.
 */
import type { ProducerContext, ProducerInstance } from '@sluice/core';
import type { ResolvedSqsOptions } from './options.ts';
import { Receiver } from './receiver.ts';
import type { SqsRun } from './run.ts';

/** One producer instance over an {@link SqsRun}. */
export class SqsConsumer implements ProducerInstance {
  readonly #receiver: Receiver;
  readonly #onTerminate: () => Promise<void>;

  /**
   * @param onTerminate runs once the receives have stopped, when the
   *   pipeline terminates this instance (e.g. closes a run it opened itself)
   */
  constructor(
    run: SqsRun,
    options: ResolvedSqsOptions,
    context: ProducerContext,
    onTerminate: () => Promise<void>,
  ) {
    this.#onTerminate = onTerminate;
    this.#receiver = new Receiver({
      client: run.client,
      queueUrl: options.queueUrl,
      index: context.index,
      logger: context.logger,
      receive: {
        waitTimeSeconds: options.waitTimeSeconds,
        ...(options.visibilityTimeout !== undefined && {
          visibilityTimeout: options.visibilityTimeout,
        }),
        attributeNames: options.messageSystemAttributeNames,
        messageAttributeNames: options.messageAttributeNames,
      },
      maxNumberOfMessages: options.maxNumberOfMessages,
      maxConcurrentReceives: options.maxConcurrentReceives,
      receiveInterval: options.receiveInterval,
      onMessages: (messages) => {
        run.visibility.track(messages, Date.now());
        context.emit(messages.map((m) => run.toMessage(m)));
      },
    });
  }

  handleDemand(demand: number): void {
    this.#receiver.demand(demand);
  }

  /** False while receives fail (the endpoint is unreachable or refuses), until one succeeds. */
  connected(): boolean {
    return this.#receiver.connected;
  }

  prepareForDraining(): Promise<void> {
    return this.#receiver.drain();
  }

  async terminate(): Promise<void> {
    await this.#receiver.drain();
    await this.#onTerminate();
  }
}
