/**
 * What a failed message of one {@link KafkaConsumer} does: retried in order
 * after a backoff while it has attempts left (`retry.maxAttempts` counts
 * every handling), then `onFailure`: skipped, produced to the dead-letter
 * topic (tried again through a broker restart, for up to `requestTimeout`),
 * or its partition halted until `resume()`.
 */
import type { Logger } from '@sluice/core';
import { isBrokerError } from '../errors.ts';
import { openWithTimeout } from '../internal/timeout.ts';
import { outgoingHeaders } from '../internal/outgoing.ts';
import { retryDelay, type Backoff } from '../internal/retry.ts';
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

/**
 * One dead-letter publisher per client, shared by the members of a
 * producer (its instances): an idempotent producer (acks all, a retried
 * send writes no duplicate), opened on first use. After a send it does not
 * know the fate of (a broker restart, a timeout), it is replaced: an
 * idempotent producer's next records would be numbered after ones the
 * broker may never have appended, so a fresh producer id starts over. The
 * old one is closed once its sends in flight settle. Closed when the last
 * member that used it lets go.
 */
class DeadLetterPublisher {
  readonly #client: KafkaClient;
  readonly #timeoutMs: number;
  #current: { publisher: Promise<KafkaPublisher>; sending: number; retired: boolean } | undefined;
  users = 0;

  constructor(client: KafkaClient, timeoutMs: number) {
    this.#client = client;
    this.#timeoutMs = timeoutMs;
  }

  /** Sends through the current publisher (opened if none), replacing it if the send fails. */
  async send(
    topic: string,
    record: Parameters<KafkaPublisher['send']>[1][number],
    timed: <T>(operation: string, run: () => Promise<T>) => Promise<T>,
  ): Promise<void> {
    const current = (this.#current ??= {
      publisher: openWithTimeout(
        {
          broker: 'kafka',
          operation: 'connect (dead-letter publisher)',
          timeoutMs: this.#timeoutMs,
        },
        () => this.#client.publisher({ idempotent: true }),
        (p) => p.close(),
      ),
      sending: 0,
      retired: false,
    });
    current.sending++;
    try {
      const publisher = await current.publisher;
      await timed(`send to dead-letter topic ${topic}`, () => publisher.send(topic, [record]));
    } catch (error) {
      if (this.#current === current) {
        this.#current = undefined;
        current.retired = true;
      }
      throw error;
    } finally {
      current.sending--;
      if (current.retired && current.sending === 0) {
        void current.publisher.then((p) => p.close()).catch(() => undefined);
      }
    }
  }

  /** Closes the publisher (its sends have settled: every member drained). */
  async close(): Promise<void> {
    const current = this.#current;
    this.#current = undefined;
    if (current !== undefined) current.retired = true;
    await current?.publisher.then((p) => p.close()).catch(() => undefined);
  }
}

const deadLetters = new WeakMap<KafkaClient, DeadLetterPublisher>();

/** Between tries of a dead-letter send the brokers did not confirm. */
const DEAD_LETTER_BACKOFF: Backoff = { initial: 200, max: 2_000 };

export class Failures {
  readonly #c: FailuresContext;
  readonly #timers = new Set<NodeJS.Timeout>();
  #deadLetters: DeadLetterPublisher | undefined;

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

  /** Lets go of the dead-letter publisher; the last member to do so disconnects it. */
  async close(): Promise<void> {
    const shared = this.#deadLetters;
    this.#deadLetters = undefined;
    if (shared === undefined || --shared.users > 0) return;
    if (deadLetters.get(this.#c.client) === shared) deadLetters.delete(this.#c.client);
    await this.#c
      .timed('disconnect the dead-letter publisher', () => shared.close())
      .catch(() => undefined);
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
    const record = {
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
    };
    // A broker restart (refused, unreachable): tried again, on a fresh
    // publisher, backing off, for up to requestTimeout; then the partition
    // halts. A send the broker never answered is not tried again: it is
    // there but stuck, and another try would only wait as long.
    const until = Date.now() + this.#c.options.requestTimeout;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#shared().send(dlqTopic, record, this.#c.timed);
        published();
        this.#c.complete(e);
        break;
      } catch (error) {
        const wait = retryDelay(attempt, DEAD_LETTER_BACKOFF);
        if (s.tracker.closed) return;
        const stuck = isBrokerError(error, 'ERR_BROKER_TIMEOUT');
        if (!stuck && !this.#c.draining() && Date.now() + wait < until) {
          await new Promise((resolve) => setTimeout(resolve, wait));
          if (s.tracker.closed) return;
          continue;
        }
        published({ error });
        // Never commit past a message that reached no dead-letter topic.
        this.halt(e, error);
        break;
      }
    }
    this.#c.afterAcks();
  }

  /** The client's shared dead-letter publisher, counted as used by this member. */
  #shared(): DeadLetterPublisher {
    if (this.#deadLetters !== undefined) return this.#deadLetters;
    const client = this.#c.client;
    let shared = deadLetters.get(client);
    if (shared === undefined) {
      shared = new DeadLetterPublisher(client, this.#c.options.requestTimeout);
      deadLetters.set(client, shared);
    }
    shared.users++;
    return (this.#deadLetters = shared);
  }

  #at(s: PartitionState, e: Entry) {
    return { ...this.#c.base, topic: s.topic, partition: s.partition, offset: e.record.offset };
  }
}
