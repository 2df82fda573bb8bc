/**
 * {@link KafkaGroupConsumer} over a kafkajs consumer. kafkajs has no revoke
 * callback: a rebalance shows as its REBALANCING event (or a crash), and the
 * new assignment as GROUP_JOIN, from which the producer works out what was
 * revoked. kafkajs restarts itself after retriable crashes; after any other
 * crash this class starts a new kafkajs consumer, backing off (jittered) from
 * 1 s up to 30 s.
 *
 * kafkajs's `commitOffsets` returns without sending anything while its
 * runner is stopped (after a crash, until it has restarted), so a commit is
 * taken as made only when kafkajs also reported it (its COMMIT_OFFSETS event,
 * emitted once the broker accepted the offsets).
 */
import type { Consumer, Kafka } from 'kafkajs';
import { BrokerError } from '../errors.ts';
import { jitteredDelay, type Backoff } from '../internal/retry.ts';
import type {
  KafkaConsumerHandlers,
  KafkaConsumerOptions,
  KafkaGroupConsumer,
  KafkaTopicPartition,
} from './client.ts';

/** Between restarts of a crashed kafkajs consumer. */
const RESTART_BACKOFF: Backoff = { initial: 1_000, max: 30_000 };

/** What a group consumer borrows from its `KafkaJsClient`. */
export interface ConsumerSupport {
  readonly toError: (error: unknown, operation: string) => BrokerError;
  /** Starts (true) or stops (false) hearing of failed broker connections. */
  readonly watch: (on: boolean) => void;
}

export class KafkaJsGroupConsumer implements KafkaGroupConsumer {
  readonly #kafka: Kafka;
  readonly #options: KafkaConsumerOptions;
  readonly #handlers: KafkaConsumerHandlers;
  readonly #support: ConsumerSupport;
  #consumer: Consumer | undefined;
  /** Why the consumer is down, while kafkajs or this class restarts it. */
  #lastError: BrokerError | undefined;
  #running = false;
  #stopped = false;
  #generation = 0;
  #restartTimer: NodeJS.Timeout | undefined;
  #restarts = 0;
  #stopping: Promise<void> | undefined;
  /** How many commits kafkajs reported as accepted by the broker. */
  #commitsMade = 0;

  constructor(
    kafka: Kafka,
    options: KafkaConsumerOptions,
    handlers: KafkaConsumerHandlers,
    support: ConsumerSupport,
  ) {
    this.#kafka = kafka;
    this.#options = options;
    this.#handlers = handlers;
    this.#support = support;
  }

  async start(): Promise<void> {
    if (this.#stopped) return;
    this.#support.watch(true);
    const o = this.#options;
    const consumer = this.#kafka.consumer({
      groupId: o.groupId,
      sessionTimeout: o.sessionTimeout,
      heartbeatInterval: o.heartbeatInterval,
      rebalanceTimeout: o.rebalanceTimeout,
      minBytes: o.minBytes,
      maxBytes: o.maxBytes,
      maxBytesPerPartition: o.maxBytesPerPartition,
      maxWaitTimeInMs: o.maxWaitTimeInMs,
      allowAutoTopicCreation: false,
      retry: { restartOnFailure: () => Promise.resolve(true) },
    });
    this.#consumer = consumer;
    consumer.on(consumer.events.REBALANCING, () => this.#rebalanceStart());
    consumer.on(consumer.events.COMMIT_OFFSETS, () => this.#commitsMade++);
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      this.#restarts = 0;
      this.#lastError = undefined;
      const partitions: KafkaTopicPartition[] = [];
      for (const [topic, list] of Object.entries(event.payload.memberAssignment)) {
        for (const partition of list) partitions.push({ topic, partition });
      }
      this.#handlers.onAssignment(++this.#generation, partitions);
    });
    consumer.on(consumer.events.CRASH, (event) => {
      this.#lastError = this.#support.toError(event.payload.error, 'consume');
      this.#handlers.onError(this.#lastError);
      this.#rebalanceStart();
      if (!event.payload.restart) this.#scheduleRestart(consumer);
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [...o.topics], fromBeginning: o.fromBeginning });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: true,
        partitionsConsumedConcurrently: 1,
        eachBatch: ({ batch }) => {
          this.#handlers.onBatch({
            topic: batch.topic,
            partition: batch.partition,
            highWatermark: batch.highWatermark,
            records: batch.messages,
          });
          return Promise.resolve();
        },
      });
      this.#running = true;
    } catch (error) {
      this.#consumer = undefined;
      await consumer.disconnect().catch(() => undefined);
      throw this.#support.toError(error, 'start');
    }
  }

  pause(partitions: readonly KafkaTopicPartition[]): void {
    this.#each(partitions, (c, tp) => c.pause(tp));
  }

  resume(partitions: readonly KafkaTopicPartition[]): void {
    this.#each(partitions, (c, tp) => c.resume(tp));
  }

  async commit(
    offsets: readonly {
      readonly topic: string;
      readonly partition: number;
      readonly offset: string;
    }[],
  ): Promise<void> {
    const consumer = this.#consumer;
    if (consumer === undefined || !this.#running) {
      throw this.#notSent('the consumer is not running');
    }
    const made = this.#commitsMade;
    try {
      await consumer.commitOffsets(offsets.map((o) => ({ ...o })));
    } catch (error) {
      throw this.#support.toError(error, 'commit');
    }
    if (this.#commitsMade === made) {
      throw this.#notSent('kafkajs dropped it, its consumer is not running');
    }
  }

  /** A commit that never reached Kafka, and why (the crash it is restarting after, if any). */
  #notSent(what: string): BrokerError {
    const why = this.#lastError;
    const after = why === undefined ? '' : ` (restarting after: ${why.message})`;
    return new BrokerError(
      why?.code ?? 'ERR_BROKER_REQUEST',
      'kafka',
      `Kafka commit not sent: ${what}${after}`,
      { cause: why },
    );
  }

  stop(): Promise<void> {
    this.#stopped = true;
    this.#support.watch(false);
    clearTimeout(this.#restartTimer);
    const consumer = this.#consumer;
    this.#running = false;
    this.#stopping ??=
      consumer === undefined ? Promise.resolve() : consumer.disconnect().catch(() => undefined);
    return this.#stopping;
  }

  #rebalanceStart(): void {
    try {
      const waiting = this.#handlers.onRebalanceStart();
      // kafkajs rejoins at once; a handler promise cannot hold it back.
      if (waiting !== undefined) waiting.catch(() => undefined);
    } catch {
      // handlers never throw into kafkajs
    }
  }

  #scheduleRestart(crashed: Consumer): void {
    if (this.#stopped) return;
    this.#running = false;
    const delay = jitteredDelay(++this.#restarts, RESTART_BACKOFF);
    this.#restartTimer = setTimeout(() => {
      void crashed.disconnect().catch(() => undefined);
      this.start().catch((error: unknown) => {
        if (error instanceof BrokerError) this.#lastError = error;
        this.#handlers.onError(error);
        if (this.#consumer === undefined) this.#scheduleRestart(crashed);
      });
    }, delay);
  }

  #each(
    partitions: readonly KafkaTopicPartition[],
    run: (consumer: Consumer, tp: { topic: string; partitions: number[] }[]) => void,
  ): void {
    const consumer = this.#consumer;
    if (consumer === undefined || partitions.length === 0) return;
    const byTopic = new Map<string, number[]>();
    for (const p of partitions) {
      const list = byTopic.get(p.topic);
      if (list === undefined) byTopic.set(p.topic, [p.partition]);
      else list.push(p.partition);
    }
    try {
      run(
        consumer,
        [...byTopic].map(([topic, list]) => ({ topic, partitions: list })),
      );
    } catch {
      // Not running yet (or restarting): the producer re-applies pauses on the next assignment.
    }
  }
}
