/**
 * One producer instance of the RabbitMQ producer: its connection (one
 * {@link Session} per generation), the deliveries it holds until processors
 * ask for them, its acks, its reconnects and its draining.
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
 *   with randomized exponential backoff, until draining or termination.
 */
import {
  Message,
  noopAcknowledger,
  SluiceError,
  type Acknowledger,
  type ProducerContext,
} from '@sluice/core';
import { parseOptions } from '@sluice/core/options';
import { z } from 'zod';
import { redactUrl } from '../env.ts';
import { BrokerError, isBrokerError } from '../errors.ts';
import { messageOf } from '../internal/error-helpers.ts';
import { withTimeout } from '../internal/timeout.ts';
import {
  ATTEMPTS_HEADER,
  decide,
  failuresOf,
  type AckPolicy,
  type FailurePolicy,
} from './ack-policy.ts';
import { AmqplibClient } from './amqplib-client.ts';
import { backoffDelay } from './backoff.ts';
import type { RabbitMqClient, RabbitMqMessage } from './client.ts';
import type { WireCommand } from './delivery-tracker.ts';
import { withHeartbeat, type ResolvedRabbitMqOptions } from './options.ts';
import { Session, type SessionSink } from './session.ts';
import { channels } from './telemetry.ts';

/** `message.metadata` of a RabbitMQ message. */
export interface RabbitMqMetadata {
  /** The delivery tag on the channel it arrived on. */
  readonly deliveryTag: number;
  /** True when the broker delivered it before (requeued, or unacked when a channel closed). */
  readonly redelivered: boolean;
  readonly exchange: string;
  readonly routingKey: string;
  readonly headers: Readonly<Record<string, unknown>>;
  /** The properties asked for with the `metadata` option. */
  readonly [property: string]: unknown;
}

/** `message.ackData`: the delivery and any per-message policy. */
interface AckData {
  readonly delivery: RabbitMqMessage;
  readonly onSuccess?: AckPolicy;
  readonly onFailure?: FailurePolicy;
}

/** Counters of one producer module, summed over its instances. */
export interface RabbitMqProducerStats {
  /** Deliveries received. */
  deliveries: number;
  /** Messages emitted into the pipeline. */
  emitted: number;
  /** Settlements dropped because their channel was gone; the broker redelivers those messages. */
  staleAcks: number;
  /** Reconnects scheduled. */
  reconnects: number;
  /** Held deliveries released (nack with requeue) at draining. */
  released: number;
  /** Failed messages republished to the retry queue. */
  retried: number;
}

const policy = z.enum(['ack', 'reject', 'requeue', 'requeueOnce']);
const configureSchema = z
  .object({
    onSuccess: policy.optional(),
    onFailure: z.enum(['ack', 'reject', 'requeue', 'requeueOnce', 'retry']).optional(),
  })
  .strict();

/** One producer instance; see the file header. */
export class RabbitMqConsumer {
  readonly #o: ResolvedRabbitMqOptions;
  readonly #context: ProducerContext;
  readonly #stats: RabbitMqProducerStats;
  readonly #client: RabbitMqClient;
  readonly #prefetch: number;
  readonly #url: string;
  readonly #connectionName: string;
  readonly #random: () => number;
  readonly #acknowledger: Acknowledger;
  readonly #sink: SessionSink;
  #generation = 0;
  #session: Session | undefined;
  #held: Message[] = [];
  #wanted = 0;
  #emitScheduled = false;
  #draining = false;
  /** See {@link unconfirmed}. */
  #unconfirmedAcks = 0;
  #confirming = false;
  #lastConfirm = 0;
  #terminated = false;
  #attempt = 0;
  #timer: NodeJS.Timeout | undefined;
  #staleTotal = 0;

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
    this.#random = random;
    this.#client =
      options.client ??
      new AmqplibClient({
        socketOptions: {
          ...options.socketOptions,
          timeout: options.connectTimeout,
        },
      });
    this.#url = withHeartbeat(options.url, options.heartbeat);
    this.#connectionName = options.connectionName ?? `sluice-${context.pipeline}-${context.index}`;
    this.#acknowledger = options.consume.noAck
      ? noopAcknowledger
      : {
          ack: (ref, successful, failed) => this.#ack(ref as Session, successful, failed),
          configure: (_ref, ackData, opts) => {
            const parsed = parseOptions(configureSchema, opts, 'rabbitmq configureAck options');
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
    this.#sink = {
      sent: (session, command) => this.#sent(session, command),
      sendFailed: (session, error, count) => {
        this.#lost(session, `sending acks failed: ${messageOf(error)}`, asError(error));
        this.#stale(session, count);
      },
    };
  }

  /** The first connection: one attempt, bounded by the connect timeout. Rejects with the cause. */
  async start(): Promise<void> {
    try {
      await this.#open();
    } catch (error) {
      this.#failure(0, error);
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

  async prepareForDraining(): Promise<void> {
    this.#draining = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const session = this.#session;
    if (session !== undefined && !session.dead && session.consumerTag !== undefined) {
      try {
        const tag = session.consumerTag;
        const sent = this.#unconfirmedAcks;
        await this.#timed(`cancel of the consumer of queue ${this.#o.queue}`, () =>
          session.channel.cancel(tag),
        );
        this.#unconfirmedAcks -= sent; // cancel-ok: the settlements before it were taken
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
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#releaseHeld();
    const session = this.#session;
    if (session === undefined || session.dead) return;
    // Closing the channel first queues its close frame behind the acks just
    // written (amqplib muxes channels asynchronously: a connection close can
    // overtake them). Whatever is still unsettled is requeued by the broker.
    session.flushNow();
    // Each bounded: a broker that does not answer cannot hold the shutdown.
    await this.#timed('channel close', () => session.channel.close()).then(
      () => {
        this.#unconfirmedAcks = 0; // close-ok: every settlement before it was taken
      },
      () => undefined,
    );
    this.#lost(session, 'closed', undefined);
    await this.#closeConnection(session);
  }

  /** Closes the session's connection; drops its socket if the broker does not answer in time. */
  async #closeConnection(session: Session): Promise<void> {
    try {
      await this.#timed('connection close', () => session.connection.close());
    } catch (error) {
      if (!isBrokerError(error, 'ERR_BROKER_TIMEOUT')) return;
      this.#context.logger.warn(
        { err: error, queue: this.#o.queue },
        'RabbitMQ did not answer the connection close; dropping the socket',
      );
      session.connection.destroy?.();
    }
  }

  /** One call to RabbitMQ, bounded by `requestTimeout` (ERR_BROKER_TIMEOUT past it). */
  #timed<T>(operation: string, run: () => Promise<T>): Promise<T> {
    return withTimeout({ broker: 'rabbitmq', operation, timeoutMs: this.#o.requestTimeout }, run);
  }

  // --- connection -----------------------------------------------------------

  async #open(): Promise<void> {
    const o = this.#o;
    let timer: NodeJS.Timeout | undefined;
    let abandoned = false;
    let opened: { close(): Promise<void> } | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        abandoned = true;
        void opened?.close().catch(() => undefined);
        reject(
          new BrokerError(
            'ERR_BROKER_UNREACHABLE',
            'rabbitmq',
            `RabbitMQ at ${redactUrl(o.url)} did not accept the connection and consumer for queue ${o.queue} within ${o.connectTimeout} ms`,
          ),
        );
      }, o.connectTimeout);
    });
    const setup = async (): Promise<void> => {
      const connection = await this.#client.connect(this.#url, {
        connectionName: this.#connectionName,
      });
      opened = connection;
      if (abandoned) {
        await connection.close().catch(() => undefined);
        return;
      }
      let session: Session | undefined;
      try {
        const channel = await connection.createChannel({ confirm: o.retry !== undefined });
        session = new Session(++this.#generation, connection, channel, this.#sink);
        const s = session;
        connection.on('close', (error?: Error) =>
          this.#lost(s, error ? `connection closed: ${error.message}` : 'connection closed', error),
        );
        channel.on('close', () => this.#lost(s, 'channel closed', undefined));
        await o.afterConnect?.(channel);
        await channel.prefetch(this.#prefetch);
        if (o.declare) {
          await channel.assertQueue(o.queue, {
            durable: o.declare.durable,
            exclusive: o.declare.exclusive,
            autoDelete: o.declare.autoDelete,
            ...(o.declare.arguments && { arguments: o.declare.arguments }),
          });
        }
        if (o.retry) {
          await channel.assertQueue(o.retry.queue, {
            durable: true,
            arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': o.queue },
          });
        }
        for (const b of o.bindings) {
          await channel.bindQueue(o.queue, b.exchange, b.routingKey, b.arguments);
        }
        const { consumerTag } = await channel.consume(
          o.queue,
          (delivery) => this.#onDelivery(s, delivery),
          {
            noAck: o.consume.noAck,
            exclusive: o.consume.exclusive,
            ...(o.consume.consumerTag !== undefined && { consumerTag: o.consume.consumerTag }),
            ...(o.consume.arguments && { arguments: o.consume.arguments }),
          },
        );
        s.consumerTag = consumerTag;
      } catch (error) {
        session?.kill();
        await connection.close().catch(() => undefined);
        throw error;
      }
      if (abandoned || session.dead || this.#terminated || this.#draining) {
        session.kill();
        await connection.close().catch(() => undefined);
        return;
      }
      session.ready = true;
      this.#session = session;
      this.#attempt = 0;
      this.#context.logger.info(
        { queue: o.queue, generation: session.generation, prefetch: this.#prefetch },
        'consuming from RabbitMQ',
      );
      if (channels.connectionOpen.hasSubscribers) {
        channels.connectionOpen.publish({
          ...this.#base(),
          generation: session.generation,
          connectionName: this.#connectionName,
        });
      }
    };
    try {
      await Promise.race([setup(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The session is gone (or closed on purpose). Idempotent. */
  #lost(session: Session, reason: string, error: Error | undefined): void {
    if (session.dead) return;
    const dropped = session.kill();
    if (dropped > 0) this.#stale(session, dropped);
    if (this.#held.length > 0) this.#held = this.#held.filter((m) => m.ackRef !== session);
    if (this.#session === session) this.#session = undefined;
    if (reason !== 'closed') void this.#closeConnection(session);
    if (!session.ready) return; // a failed setup: #open's caller handles it
    if (this.#terminated) reason = 'closed';
    if (reason !== 'closed') {
      this.#context.logger.warn(
        { err: error, queue: this.#o.queue, generation: session.generation },
        `lost the RabbitMQ consumer of queue ${this.#o.queue}: ${reason}`,
      );
    }
    if (channels.connectionClose.hasSubscribers) {
      channels.connectionClose.publish({
        ...this.#base(),
        generation: session.generation,
        reason,
        error,
      });
    }
    if (!this.#draining && !this.#terminated) this.#scheduleReconnect(reason);
  }

  #scheduleReconnect(reason: string): void {
    const attempt = ++this.#attempt;
    const delayMs = backoffDelay(attempt, this.#o.backoff, this.#random);
    this.#stats.reconnects++;
    if (channels.reconnect.hasSubscribers) {
      channels.reconnect.publish({ ...this.#base(), attempt, delayMs, reason });
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#reconnect(attempt);
    }, delayMs);
  }

  async #reconnect(attempt: number): Promise<void> {
    if (this.#draining || this.#terminated) return;
    try {
      await this.#open();
    } catch (error) {
      this.#failure(attempt, error);
      if (!this.#draining && !this.#terminated) this.#scheduleReconnect(messageOf(error));
    }
  }

  #failure(attempt: number, error: unknown): void {
    const reason = messageOf(error);
    this.#context.logger.warn(
      { err: error, queue: this.#o.queue, attempt },
      `connecting to RabbitMQ failed: ${reason}`,
    );
    if (channels.connectionFailure.hasSubscribers) {
      channels.connectionFailure.publish({ ...this.#base(), attempt, reason, error });
    }
  }

  // --- deliveries -----------------------------------------------------------

  #onDelivery(session: Session, delivery: RabbitMqMessage | null): void {
    if (delivery === null) {
      this.#lost(session, 'the broker cancelled the consumer (queue deleted?)', undefined);
      return;
    }
    if (session.dead) return; // the broker requeues it with the channel
    this.#stats.deliveries++;
    const noAck = this.#o.consume.noAck;
    if (!noAck) session.tracker.deliver(delivery.deliveryTag);
    if (this.#draining) {
      if (noAck) {
        this.#context.logger.warn(
          { queue: this.#o.queue },
          'a message arrived while draining with noAck: it was acked on delivery and is dropped',
        );
        return;
      }
      session.tracker.settle(delivery.deliveryTag, 'requeue');
      this.#stats.released++;
      void session.scheduleFlush();
      return;
    }
    this.#held.push(this.#message(session, delivery));
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

  #message(session: Session, d: RabbitMqMessage): Message {
    const metadata: Record<string, unknown> = {
      deliveryTag: d.deliveryTag,
      redelivered: d.redelivered,
      exchange: d.exchange,
      routingKey: d.routingKey,
      headers: d.headers,
    };
    for (const field of this.#o.metadata) {
      const value = d[field];
      if (value !== undefined) metadata[field] = value;
    }
    return new Message<Buffer, RabbitMqMetadata>({
      data: d.content,
      metadata: metadata as RabbitMqMetadata,
      id: d.messageId ?? `${session.generation}:${d.deliveryTag}`,
      acknowledger: this.#acknowledger,
      ackRef: session,
      ackData: { delivery: d } satisfies AckData,
    });
  }

  /** Releases (nack with requeue) every held delivery. */
  #releaseHeld(): void {
    const held = this.#take();
    if (held.length === 0) return;
    if (this.#o.consume.noAck) {
      this.#context.logger.warn(
        { queue: this.#o.queue, count: held.length },
        `dropping ${held.length} held messages at draining: with noAck they were acked on delivery`,
      );
      return;
    }
    const sessions = new Set<Session>();
    for (const m of held) {
      const session = m.ackRef as Session;
      session.tracker.settle((m.ackData as AckData).delivery.deliveryTag, 'requeue');
      sessions.add(session);
    }
    this.#stats.released += held.length;
    for (const session of sessions) session.flushNow();
  }

  // --- acks -----------------------------------------------------------------

  #ack(session: Session, successful: Message[], failed: Message[]): Promise<void> | undefined {
    if (session.dead) {
      const count = successful.length + failed.length;
      this.#stale(session, count);
      // The pipeline counts them as not acked: its stop report stays true.
      return Promise.reject(staleError(session, count));
    }
    const o = this.#o;
    const tracker = session.tracker;
    for (let i = 0; i < successful.length; i++) {
      const data = (successful[i] as Message).ackData as AckData;
      const d = data.delivery;
      const decision = decide(data.onSuccess ?? o.onSuccess, {
        redelivered: d.redelivered,
        failures: 0,
      });
      if (decision.kind === 'settle') tracker.settle(d.deliveryTag, decision.op);
    }
    let retries: { message: Message; attempt: number; delayMs: number }[] | undefined;
    for (const message of failed) {
      const data = message.ackData as AckData;
      const d = data.delivery;
      const p = data.onFailure ?? o.onFailure;
      const decision = decide(
        p,
        { redelivered: d.redelivered, failures: p === 'retry' ? failuresOf(d.headers) : 0 },
        o.retry,
      );
      if (decision.kind === 'settle') tracker.settle(d.deliveryTag, decision.op);
      else (retries ??= []).push({ message, attempt: decision.attempt, delayMs: decision.delayMs });
    }
    if (retries !== undefined) return this.#retry(session, retries);
    this.#confirmSoon(session);
    return session.scheduleFlush().then(raise);
  }

  /**
   * AMQP acks are not answered: a sent ack is known to be taken only once a
   * later request on its channel is (the broker handles a channel's frames
   * in order). About once a second, after a flush, a basic.qos re-stating
   * the prefetch confirms every settlement sent before it; the consumer
   * cancel at draining and the channel close at the end do the same. What
   * is sent and not confirmed is {@link unconfirmed}: against a frozen
   * broker, the stop report counts it as un-acked.
   */
  #confirmSoon(session: Session): void {
    if (this.#confirming || performance.now() - this.#lastConfirm < 1000) return;
    this.#confirming = true;
    void session
      .scheduleFlush()
      .then(async () => {
        const sent = this.#unconfirmedAcks;
        await this.#timed('ack confirmation', () => session.channel.prefetch(this.#prefetch));
        this.#unconfirmedAcks -= sent;
        this.#lastConfirm = performance.now();
      })
      .catch(() => undefined) // a dead channel is handled where it dies
      .finally(() => {
        this.#confirming = false;
      });
  }

  /** Settlements sent and not yet confirmed by a later round trip on their channel. */
  unconfirmed(): number {
    return this.#unconfirmedAcks;
  }

  /** Republishes to the retry queue; once the broker confirmed, acks the originals. */
  async #retry(
    session: Session,
    retries: readonly { message: Message; attempt: number; delayMs: number }[],
  ): Promise<void> {
    const retryQueue = (this.#o.retry as NonNullable<ResolvedRabbitMqOptions['retry']>).queue;
    const flushed = session.scheduleFlush(); // the other decisions go out meanwhile
    try {
      for (const { message, attempt, delayMs } of retries) {
        const d = (message.ackData as AckData).delivery;
        session.channel.sendToQueue(retryQueue, d.content, {
          ...(d.messageId !== undefined && { messageId: d.messageId }),
          ...(d.correlationId !== undefined && { correlationId: d.correlationId }),
          ...(d.contentType !== undefined && { contentType: d.contentType }),
          ...(d.contentEncoding !== undefined && { contentEncoding: d.contentEncoding }),
          ...(d.timestamp !== undefined && { timestamp: d.timestamp }),
          ...(d.priority !== undefined && { priority: d.priority }),
          ...(d.type !== undefined && { type: d.type }),
          ...(d.appId !== undefined && { appId: d.appId }),
          ...(d.replyTo !== undefined && { replyTo: d.replyTo }),
          persistent: d.deliveryMode === 2,
          expiration: delayMs,
          headers: { ...d.headers, [ATTEMPTS_HEADER]: attempt },
        });
        if (channels.retry.hasSubscribers) {
          channels.retry.publish({
            ...this.#base(),
            messageId: message.id,
            attempt,
            delayMs,
            retryQueue,
          });
        }
      }
      await this.#timed(`publisher confirms of the republish to ${retryQueue}`, () =>
        session.channel.waitForConfirms(),
      );
    } catch (error) {
      // The channel is gone: the originals come back from the broker (and a
      // copy may already wait in the retry queue: a duplicate).
      this.#lost(session, `republishing to ${retryQueue} failed: ${messageOf(error)}`, undefined);
      this.#stale(session, retries.length);
      raise(await flushed);
      throw staleError(session, retries.length);
    }
    raise(await flushed);
    if (session.dead) {
      this.#stale(session, retries.length);
      throw staleError(session, retries.length);
    }
    this.#stats.retried += retries.length;
    for (const { message } of retries) {
      session.tracker.settle((message.ackData as AckData).delivery.deliveryTag, 'ack');
    }
    raise(await session.scheduleFlush());
  }

  #sent(session: Session, command: WireCommand): void {
    this.#unconfirmedAcks += command.count;
    if (command.op === 'ack') {
      if (channels.ack.hasSubscribers) {
        channels.ack.publish({ ...this.#base(), generation: session.generation, ...command });
      }
    } else if (channels.reject.hasSubscribers) {
      channels.reject.publish({
        ...this.#base(),
        generation: session.generation,
        deliveryTag: command.deliveryTag,
        multiple: command.multiple,
        count: command.count,
        requeue: command.op === 'requeue',
      });
    }
  }

  /** Settlements for a dead channel: dropped, counted and reported, never sent elsewhere. */
  #stale(session: Session, count: number): void {
    if (count === 0) return;
    this.#stats.staleAcks += count;
    this.#staleTotal += count;
    const current = this.#session?.generation;
    const line = `dropped ${count} acks for deliveries of closed channel generation ${session.generation}; the broker redelivers those messages`;
    if (session.warnedStale) this.#context.logger.debug({ count }, line);
    else {
      session.warnedStale = true;
      this.#context.logger.warn({ count, generation: session.generation }, line);
    }
    if (channels.staleAcks.hasSubscribers) {
      channels.staleAcks.publish({
        ...this.#base(),
        generation: session.generation,
        currentGeneration: current,
        count,
        total: this.#staleTotal,
      });
    }
  }

  #base(): { pipeline: string; index: number; queue: string } {
    return { pipeline: this.#context.pipeline, index: this.#context.index, queue: this.#o.queue };
  }
}

/** Throws what a flush reports as dropped. */
function raise(dropped: Error | undefined): void {
  if (dropped !== undefined) throw dropped;
}

function staleError(session: Session, count: number): SluiceError {
  return new SluiceError(
    'ERR_ACK_FAILED',
    `${count} acks for deliveries of closed channel generation ${session.generation} cannot be sent; the broker redelivers those messages`,
  );
}

function asError(error: unknown): Error | undefined {
  return error instanceof Error ? error : undefined;
}
