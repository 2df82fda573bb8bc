/**
 * One producer instance of the RabbitMQ producer: its connection (one
 * {@link Generation} at a time, opened by open.ts), the deliveries it holds
 * until processors ask for them, and its draining. Acks are settlement.ts's,
 * reconnects reconnect.ts's.
 *
 * Invariants:
 * - Deliveries are held until demand exists; never more is emitted than was
 *   asked. What is held is bounded by prefetch (the broker stops pushing).
 * - Every delivery ends with exactly one decision on the channel it came
 *   from (ack, reject, requeue; a retry republishes, then acks), or its
 *   channel dies first and the broker redelivers it. A decision for a dead
 *   channel is dropped and counted, never sent on another channel.
 * - Held deliveries of a dead channel are forgotten (the broker redelivers
 *   them); at draining, held deliveries are released (nack with requeue).
 * - A loss (connection, channel, broker-side cancel) schedules one reconnect
 *   with jittered exponential backoff, until draining or termination.
 */
import {
  noopAcknowledger,
  type Acknowledger,
  type Message,
  type ProducerContext,
} from '@sluice/core';
import { parseOptions } from '@sluice/core/options';
import { BrokerError, isBrokerError } from '../errors.ts';
import { messageOf } from '../internal/error-helpers.ts';
import { AmqplibClient } from './amqplib-client.ts';
import type { RabbitMqClient, RabbitMqConnection, RabbitMqMessage } from './client.ts';
import type { Generation } from './generation.ts';
import { deliveryOf, toMessage, type AckData } from './message.ts';
import { configureAckSchema, type ResolvedRabbitMqOptions } from './options.ts';
import { consumeOn, openGeneration } from './open.ts';
import { Reconnector } from './reconnect.ts';
import { Settlement, type RabbitMqProducerStats } from './settlement.ts';
import { channels, type RabbitMqEventBase } from './telemetry.ts';

export type { RabbitMqProducerStats } from './settlement.ts';
export type { RabbitMqMetadata } from './message.ts';

/** One producer instance; see the file header. */
export class RabbitMqConsumer {
  readonly #o: ResolvedRabbitMqOptions;
  readonly #context: ProducerContext;
  readonly #stats: RabbitMqProducerStats;
  readonly #client: RabbitMqClient;
  #prefetch: number;
  /** Paused at the broker: the consumer is cancelled, the channel stays open. */
  #paused = false;
  /** Pauses, resumes and prefetch changes, one after another. */
  #steps: Promise<void> = Promise.resolve();
  readonly #connectionName: string;
  readonly #base: RabbitMqEventBase;
  readonly #acknowledger: Acknowledger;
  readonly #settlement: Settlement;
  readonly #reconnector: Reconnector;
  #generations = 0;
  #current: Generation | undefined;
  #held: Message[] = [];
  #wanted = 0;
  #emitScheduled = false;
  #draining = false;
  #terminated = false;

  constructor(
    options: ResolvedRabbitMqOptions,
    context: ProducerContext,
    prefetch: number,
    stats: RabbitMqProducerStats,
    random: () => number = Math.random,
  ) {
    this.#o = options;
    this.#context = context;
    this.#prefetch = prefetch;
    this.#stats = stats;
    const { connection } = options;
    this.#client =
      options.client ??
      new AmqplibClient({
        socketOptions: { ...connection.socketOptions, timeout: connection.timeout },
      });
    this.#connectionName = connection.name ?? `sluice-${context.pipeline}-${context.index}`;
    this.#base = { pipeline: context.pipeline, index: context.index, queue: options.queue };
    const stopping = () => this.#draining || this.#terminated;
    this.#settlement = new Settlement({
      options,
      prefetch: () => this.#prefetch,
      stats,
      logger: context.logger,
      base: this.#base,
      current: () => this.#current,
      lost: (generation, reason, error) => this.#lost(generation, reason, error),
    });
    this.#reconnector = new Reconnector({
      backoff: options.backoff,
      random,
      logger: context.logger,
      base: this.#base,
      open: () => this.#open(),
      stopping,
      scheduled: () => void this.#stats.reconnects++,
    });
    this.#acknowledger = options.consumeOptions.noAck
      ? noopAcknowledger
      : {
          ack: (ref, successful, failed) =>
            this.#settlement.ack(ref as Generation, successful, failed),
          configure: (_ref, ackData, opts) => {
            const parsed = parseOptions(configureAckSchema, opts, 'rabbitmq configureAck options');
            if (parsed.onFailure === 'retry' && this.#o.retry === undefined) {
              throw new BrokerError(
                'ERR_BROKER_REQUEST',
                'rabbitmq',
                "configureAck({ onFailure: 'retry' }) needs the producer's retry option",
              );
            }
            return { ...(ackData as AckData), ...parsed };
          },
        };
  }

  /** The first connection: one attempt, bounded by the connect timeout. Rejects with the cause. */
  async start(): Promise<void> {
    try {
      await this.#open();
    } catch (error) {
      this.#reconnector.failed(0, error);
      throw error;
    }
  }

  handleDemand(demand: number): Message[] | undefined {
    this.#wanted += demand;
    const held = this.#held;
    if (held.length === 0 || this.#draining) return undefined;
    const n = Math.min(this.#wanted, held.length);
    this.#wanted -= n;
    this.#stats.emitted += n;
    return n === held.length ? this.#take() : held.splice(0, n);
  }

  /**
   * Pauses at the broker: cancels the consumer, so RabbitMQ sends nothing
   * more, and keeps the channel open. What was delivered stays held,
   * un-acked, and is emitted when asked; acks go on as usual.
   */
  pause(): Promise<void> {
    this.#paused = true;
    return this.#step(async (g) => {
      if (g.consumerTag !== undefined) await this.#cancelConsumer(g, 'pause');
    });
  }

  /** Consumes again after {@link pause}. */
  resume(): Promise<void> {
    this.#paused = false;
    return this.#step(async (g) => {
      if (g.consumerTag === undefined) await consumeOn(g, this.#o, this.#onConsumed);
    });
  }

  /**
   * Sets a new prefetch. basic.qos applies to consumers started after it,
   * so the consumer is cancelled and started again on the same channel:
   * what it holds stays held and un-acked, nothing is requeued. RabbitMQ
   * counts the prefetch per consumer, so until the old consumer's
   * deliveries are acked the channel may hold them on top of the new
   * prefetch.
   */
  setPrefetch(prefetch: number): Promise<void> {
    if (prefetch === this.#prefetch) return this.#steps;
    this.#prefetch = prefetch;
    return this.#step(async (g) => {
      await this.#settlement.timed('prefetch', () => g.channel.prefetch(prefetch));
      if (g.consumerTag === undefined) return; // paused: resume() consumes with it
      await this.#cancelConsumer(g, 'prefetch change');
      if (!this.#paused) await consumeOn(g, this.#o, this.#onConsumed);
      this.#context.logger.info(
        { queue: this.#o.queue, generation: g.number, prefetch },
        `consuming from RabbitMQ with prefetch ${prefetch}`,
      );
    });
  }

  /** The prefetch in force. */
  get prefetch(): number {
    return this.#prefetch;
  }

  /** Runs `step` on the live generation after the steps before it; a failure is logged. */
  #step(step: (g: Generation) => Promise<void>): Promise<void> {
    const run = this.#steps.then(async () => {
      const g = this.#current;
      if (g === undefined || g.dead || this.#draining || this.#terminated) return;
      try {
        await step(g);
      } catch (error) {
        this.#context.logger.warn(
          { err: error, queue: this.#o.queue, generation: g.number },
          `RabbitMQ consumer change failed: ${messageOf(error)}`,
        );
      }
    });
    this.#steps = run;
    return run;
  }

  readonly #onConsumed = (g: Generation, delivery: RabbitMqMessage | null): void =>
    this.#onDelivery(g, delivery);

  /** basic.cancel and its cancel-ok: after it no delivery arrives for the tag. */
  async #cancelConsumer(g: Generation, why: string): Promise<void> {
    const tag = g.consumerTag as string;
    const sent = this.#settlement.unconfirmed();
    await this.#settlement.timed(`cancel of the consumer of queue ${this.#o.queue} (${why})`, () =>
      g.channel.cancel(tag),
    );
    if (g.consumerTag === tag) g.consumerTag = undefined;
    this.#settlement.confirmed(sent); // cancel-ok: the settlements before it were taken
  }

  async prepareForDraining(): Promise<void> {
    this.#draining = true;
    this.#reconnector.cancel();
    await this.#steps;
    const generation = this.#current;
    if (generation !== undefined && !generation.dead && generation.consumerTag !== undefined) {
      try {
        const tag = generation.consumerTag;
        const sent = this.#settlement.unconfirmed();
        await this.#settlement.timed(`cancel of the consumer of queue ${this.#o.queue}`, () =>
          generation.channel.cancel(tag),
        );
        this.#settlement.confirmed(sent); // cancel-ok: the settlements before it were taken
      } catch (error) {
        this.#context.logger.warn(
          { err: error, queue: this.#o.queue },
          'could not cancel the RabbitMQ consumer at draining; its channel is probably gone',
        );
      }
    }
    this.#releaseHeld();
    this.#wanted = 0;
  }

  /**
   * The producer stage stopped. While draining, that happens as soon as it
   * has handed out its last message, before the processors are done: the
   * channel stays open for their acks and {@link close} runs once the
   * pipeline has stopped. Otherwise it closes now.
   */
  async terminate(): Promise<void> {
    if (!this.#draining) await this.close();
  }

  /** Closes the channel and connection, after sending every decision made. Idempotent. */
  async close(): Promise<void> {
    this.#terminated = true;
    this.#draining = true;
    this.#reconnector.cancel();
    this.#releaseHeld();
    const generation = this.#current;
    if (generation === undefined || generation.dead) return;
    // Closing the channel first queues its close frame behind the acks just
    // written (amqplib muxes channels asynchronously: a connection close can
    // overtake them). Whatever is still unsettled is requeued by the broker.
    generation.flushNow();
    // Each bounded: a broker that does not answer cannot hold the shutdown.
    await this.#settlement
      .timed('channel close', () => generation.channel.close())
      .then(
        () => this.#settlement.confirmed(), // close-ok: every settlement before it was taken
        () => undefined,
      );
    this.#lost(generation, 'closed', undefined);
    await this.#closeConnection(generation);
  }

  /** The connection now open, for the backlog poller's own channel (backlog.ts). */
  connection(): RabbitMqConnection | undefined {
    return this.#current?.dead === false ? this.#current.connection : undefined;
  }

  /** True while a channel is open and consuming (for `pipeline.health()` readiness). */
  connected(): boolean {
    return this.#current !== undefined && !this.#current.dead;
  }

  /** Deliveries of the current channel not yet settled on the wire. */
  unsettled(): number {
    return this.#current?.tracker.unsettled ?? 0;
  }

  /** Settlements sent and not yet confirmed by a later round trip on their channel. */
  unconfirmed(): number {
    return this.#settlement.unconfirmed();
  }

  /** Closes the generation's connection; drops its socket if the broker does not answer in time. */
  async #closeConnection(generation: Generation): Promise<void> {
    try {
      await this.#settlement.timed('connection close', () => generation.connection.close());
    } catch (error) {
      if (!isBrokerError(error, 'ERR_BROKER_TIMEOUT')) return;
      this.#context.logger.warn(
        { err: error, queue: this.#o.queue },
        'RabbitMQ did not answer the connection close; dropping the socket',
      );
      generation.connection.destroy?.();
    }
  }

  // --- connection -----------------------------------------------------------

  async #open(): Promise<void> {
    const generation = await openGeneration({
      options: this.#o,
      client: this.#client,
      connectionName: this.#connectionName,
      prefetch: this.#prefetch,
      number: ++this.#generations,
      sink: {
        sent: (g, command) => this.#settlement.sent(g, command),
        sendFailed: (g, error, count) => {
          this.#lost(g, `sending acks failed: ${messageOf(error)}`, asError(error));
          this.#settlement.stale(g, count);
        },
      },
      onDelivery: (g, delivery) => this.#onDelivery(g, delivery),
      onLost: (g, reason, error) => this.#lost(g, reason, error),
      stopping: () => this.#terminated || this.#draining,
      paused: () => this.#paused,
    });
    if (generation === undefined) return;
    this.#current = generation;
    this.#reconnector.connected();
    this.#context.logger.info(
      { queue: this.#o.queue, generation: generation.number, prefetch: this.#prefetch },
      'consuming from RabbitMQ',
    );
    if (channels.connectionOpen.hasSubscribers) {
      channels.connectionOpen.publish({
        ...this.#base,
        generation: generation.number,
        connectionName: this.#connectionName,
      });
    }
  }

  /** The generation is gone (or closed on purpose). Idempotent. */
  #lost(generation: Generation, reason: string, error: Error | undefined): void {
    if (generation.dead) return;
    const dropped = generation.kill();
    if (dropped > 0) this.#settlement.stale(generation, dropped);
    if (this.#held.length > 0) this.#held = this.#held.filter((m) => m.ackRef !== generation);
    if (this.#current === generation) this.#current = undefined;
    if (reason !== 'closed') void this.#closeConnection(generation);
    if (!generation.ready) return; // a failed setup: #open's caller handles it
    if (this.#terminated) reason = 'closed';
    if (reason !== 'closed') {
      this.#context.logger.warn(
        { err: error, queue: this.#o.queue, generation: generation.number },
        `lost the RabbitMQ consumer of queue ${this.#o.queue}: ${reason}`,
      );
    }
    if (channels.connectionClose.hasSubscribers) {
      channels.connectionClose.publish({
        ...this.#base,
        generation: generation.number,
        reason,
        error,
      });
    }
    if (!this.#draining && !this.#terminated) this.#reconnector.schedule(reason);
  }

  // --- deliveries -----------------------------------------------------------

  #onDelivery(generation: Generation, delivery: RabbitMqMessage | null): void {
    if (delivery === null) {
      this.#lost(generation, 'the broker cancelled the consumer (queue deleted?)', undefined);
      return;
    }
    if (generation.dead) return; // the broker requeues it with the channel
    this.#stats.deliveries++;
    const noAck = this.#o.consumeOptions.noAck;
    if (!noAck) generation.tracker.deliver(delivery.deliveryTag);
    if (this.#draining) {
      if (noAck) {
        this.#context.logger.warn(
          { queue: this.#o.queue },
          'a message arrived while draining with noAck: it was acked on delivery and is dropped',
        );
        return;
      }
      generation.tracker.settle(delivery.deliveryTag, 'requeue');
      this.#stats.released++;
      void generation.scheduleFlush();
      return;
    }
    this.#held.push(toMessage(generation, delivery, this.#o.metadata, this.#acknowledger));
    if (this.#wanted > 0 && !this.#emitScheduled) {
      this.#emitScheduled = true;
      queueMicrotask(this.#emitHeld);
    }
  }

  /** Emits what is held against unmet demand; deliveries of one socket read go out together. */
  readonly #emitHeld = (): void => {
    this.#emitScheduled = false;
    if (this.#draining) return;
    const n = Math.min(this.#wanted, this.#held.length);
    if (n === 0) return;
    this.#wanted -= n;
    this.#stats.emitted += n;
    this.#context.emit(n === this.#held.length ? this.#take() : this.#held.splice(0, n));
  };

  #take(): Message[] {
    const all = this.#held;
    this.#held = [];
    return all;
  }

  /** Releases (nack with requeue) every held delivery. */
  #releaseHeld(): void {
    const held = this.#take();
    if (held.length === 0) return;
    if (this.#o.consumeOptions.noAck) {
      this.#context.logger.warn(
        { queue: this.#o.queue, count: held.length },
        `dropping ${held.length} held messages at draining: with noAck they were acked on delivery`,
      );
      return;
    }
    const generations = new Set<Generation>();
    for (const m of held) {
      const generation = m.ackRef as Generation;
      generation.tracker.settle(deliveryOf(m).deliveryTag, 'requeue');
      generations.add(generation);
    }
    this.#stats.released += held.length;
    for (const generation of generations) generation.flushNow();
  }
}

function asError(error: unknown): Error | undefined {
  return error instanceof Error ? error : undefined;
}
