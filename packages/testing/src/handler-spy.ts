/**
 * A handler spy: await, in an integration test, that a given message has
 * gone through a pipeline, whatever producer brought it in. It listens on
 * the `sluice:ack` telemetry channel, so the pipeline needs no changes.
 */
import diagnostics from 'node:diagnostics_channel';
import { pipelineChannels, type AckEvent, type Message, type Pipeline } from '@sluice/core';

/** A message the spy saw acked, and how. */
export interface SpiedMessage<D = unknown> {
  readonly message: Message<D>;
  readonly outcome: 'successful' | 'failed';
}

export interface HandlerSpy {
  /** Every message acked since the spy was created, in ack order. */
  readonly seen: readonly SpiedMessage[];
  /**
   * Resolves with the first acked message matching `predicate`, past or
   * future. Rejects after `timeoutMs` (default 5000) naming what it waited for.
   */
  waitForMessage<D = unknown>(
    predicate: (message: Message<D>) => boolean,
    options?: { timeoutMs?: number; description?: string },
  ): Promise<SpiedMessage<D>>;
  /** `waitForMessage` by `message.id`. */
  waitForMessageWithId<D = unknown>(
    id: string | number,
    options?: { timeoutMs?: number },
  ): Promise<SpiedMessage<D>>;
  /** Stops listening. */
  dispose(): void;
}

interface Waiter {
  readonly predicate: (message: Message) => boolean;
  readonly resolve: (seen: SpiedMessage) => void;
}

/**
 * Starts spying on `pipeline`'s acks.
 *
 * @example
 * ```ts
 * const spy = handlerSpy(pipeline);
 * await publishOrder({ id: 42 });                       // through the real broker
 * const { outcome } = await spy.waitForMessage((m) => m.data.id === 42);
 * expect(outcome).toBe('successful');
 * ```
 */
export function handlerSpy(pipeline: Pipeline): HandlerSpy {
  const seen: SpiedMessage[] = [];
  const waiters = new Set<Waiter>();
  const record = (message: Message, outcome: SpiedMessage['outcome']): void => {
    const entry = { message, outcome };
    seen.push(entry);
    for (const w of waiters) {
      if (w.predicate(message)) {
        waiters.delete(w);
        w.resolve(entry);
      }
    }
  };
  const listener = (payload: unknown): void => {
    const event = payload as AckEvent;
    if (event.pipeline !== pipeline.name) return;
    for (const m of event.successful) record(m, 'successful');
    for (const m of event.failed) record(m, 'failed');
  };
  diagnostics.subscribe(pipelineChannels.ack, listener);

  const waitForMessage = <D>(
    predicate: (message: Message<D>) => boolean,
    options: { timeoutMs?: number; description?: string } = {},
  ): Promise<SpiedMessage<D>> => {
    const match = predicate as (m: Message) => boolean;
    const already = seen.find((s) => match(s.message));
    if (already !== undefined) return Promise.resolve(already as SpiedMessage<D>);
    const timeoutMs = options.timeoutMs ?? 5000;
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        predicate: match,
        resolve: (s) => {
          clearTimeout(timer);
          resolve(s as SpiedMessage<D>);
        },
      };
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(
          new Error(
            `handlerSpy: no message ${options.description ?? 'matching the predicate'} was acked by pipeline ${pipeline.name} within ${timeoutMs} ms (${seen.length} other messages were)`,
          ),
        );
      }, timeoutMs);
      waiters.add(waiter);
    });
  };

  return {
    seen,
    waitForMessage,
    waitForMessageWithId: (id, options = {}) =>
      waitForMessage((m) => m.id === id, { ...options, description: `with id ${String(id)}` }),
    dispose: () => diagnostics.unsubscribe(pipelineChannels.ack, listener),
  };
}
