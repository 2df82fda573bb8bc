/**
 * What a failed message of one {@link KafkaConsumer} does: retried in order
 * after a backoff while it has attempts left (`retry.maxAttempts` counts
 * every handling), then `onFailure`: skipped, produced to the dead-letter
 * topic, or its partition halted until `resume()`.
 */
import type { Logger } from '@sluice/core';
import { openWithTimeout } from '../internal/timeout.ts';
import { outgoingHeaders } from '../internal/outgoing.ts';
import { retryDelay } from '../internal/retry.ts';
import type { KafkaClient, KafkaGroupConsumer, KafkaPublisher } from './client.ts';
import { ATTEMPTS_HEADER, FAILURE_REASON_HEADER, describeReason, toHeaders } from './headers.ts';
import type { ResolvedKafkaOptions } from './options.ts';
import { topicPartition, type Entry, type PartitionState } from './partition-state.ts';
import { channels, publishPause, type KafkaEventBase } from './telemetry.ts';

/** What failure handling needs from its consumer. */
export interface FailuresContext {
  readonly base: KafkaEventBase;
  readonly logger: Logger;
  readonly options: ResolvedKafkaOptions;
  readonly client: KafkaClient;
  readonly consumer: KafkaGroupConsumer;
  /** One call to Kafka, bounded by `requestTimeout`. */
  readonly timed: <T>(operation: string, run: () => Promise<T>) => Promise<T>;
  /** Marks `e` done: its offset may be committed past. */
  readonly complete: (e: Entry) => void;
  /** Hands `e` out again, before anything after it in its unit. */
  readonly retry: (e: Entry) => void;
  /** Re-checks waits and demand after an ack that settled later. */
  readonly afterAcks: () => void;
  readonly draining: () => boolean;
}

export class Failures {
  readonly #c: FailuresContext;
  readonly #timers = new Set<NodeJS.Timeout>();
  #publisher: Promise<KafkaPublisher> | undefined;

  constructor(context: FailuresContext) {
    this.#c = context;
  }

  /** `e` failed with `reason`: a promise while it goes to the dead-letter topic. */
  fail(e: Entry, reason: unknown): Promise<void> | undefined {
    const o = this.#c.options;
    e.attempts++;
    if (e.attempts < o.retry.maxAttempts) {
      this.#retryLater(e, reason);
      return undefined;
    }
    switch (o.onFailure) {
      case 'skip':
        this.#c.complete(e);
        return undefined;
      case 'halt':
        this.halt(e, reason);
        return undefined;
      case 'dlq':
        return this.#deadLetter(e, reason);
    }
  }

  /** Stops `e`'s partition: nothing more from it goes out, nothing past it is committed. */
  halt(e: Entry, reason: unknown): void {
    const s = e.state;
    s.halted = { entry: e, reason };
    if (!s.fetchPaused) {
      s.fetchPaused = true;
      this.#c.consumer.pause([topicPartition(s)]);
    }
    publishPause(channels.pause, this.#c.base, s, 'halted');
    this.#c.logger.warn(
      { err: reason, topic: s.topic, partition: s.partition, offset: e.record.offset },
      `kafka: partition ${s.id} halted on offset ${e.record.offset}; call resume() to go on`,
    );
    if (channels.halt.hasSubscribers) {
      channels.halt.publish({ ...this.#at(s, e), reason });
    }
  }

  /** Forgets the retries waiting for their backoff (the consumer drains). */
  cancelRetries(): void {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
  }

  /** Disconnects the dead-letter publisher, if one was opened. */
  async close(): Promise<void> {
    const publisher = this.#publisher;
    this.#publisher = undefined;
    await publisher?.then(
      (p) => this.#c.timed('disconnect the dead-letter publisher', () => p.close()),
      () => undefined,
    );
  }

  #retryLater(e: Entry, reason: unknown): void {
    const s = e.state;
    const delayMs = retryDelay(e.attempts, this.#c.options.retry.backoff);
    if (channels.retry.hasSubscribers) {
      channels.retry.publish({ ...this.#at(s, e), attempt: e.attempts, delayMs, error: reason });
    }
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (s.tracker.closed || this.#c.draining()) return;
      this.#c.retry(e);
    }, delayMs);
    this.#timers.add(timer);
  }

  async #deadLetter(e: Entry, reason: unknown): Promise<void> {
    const s = e.state;
    const dlqTopic = this.#c.options.dlq?.topic as string;
    const started = performance.now();
    const published = (failure?: { readonly error: unknown }): void => {
      if (!channels.dlq.hasSubscribers) return;
      channels.dlq.publish({
        ...this.#at(s, e),
        dlqTopic,
        durationMs: performance.now() - started,
        ...failure,
      });
    };
    try {
      const publisher = await this.#openPublisher();
      await this.#c.timed(`send to dead-letter topic ${dlqTopic}`, () =>
        publisher.send(dlqTopic, [
          {
            key: e.record.key ?? null,
            value: e.record.value,
            headers: {
              ...toHeaders(e.record.headers),
              [FAILURE_REASON_HEADER]: describeReason(reason),
              [ATTEMPTS_HEADER]: String(e.attempts),
              'sluice-topic': s.topic,
              'sluice-partition': String(s.partition),
              'sluice-offset': e.record.offset,
              ...outgoingHeaders('kafka', dlqTopic, 'dead-letter', e),
            },
          },
        ]),
      );
      published();
      this.#c.complete(e);
    } catch (error) {
      published({ error });
      if (s.tracker.closed) return;
      // Never commit past a message that reached no dead-letter topic.
      this.halt(e, error);
    }
    this.#c.afterAcks();
  }

  /** The dead-letter publisher, connected on first use (bounded by `requestTimeout`). */
  #openPublisher(): Promise<KafkaPublisher> {
    this.#publisher ??= openWithTimeout(
      {
        broker: 'kafka',
        operation: 'connect (dead-letter publisher)',
        timeoutMs: this.#c.options.requestTimeout,
      },
      () => this.#c.client.publisher(),
      (p) => p.close(),
    );
    return this.#publisher.catch((error: unknown) => {
      this.#publisher = undefined;
      throw error;
    });
  }

  #at(s: PartitionState, e: Entry) {
    return { ...this.#c.base, topic: s.topic, partition: s.partition, offset: e.record.offset };
  }
}
