/**
 * Settling one producer instance's messages once the pipeline is done with
 * them: each success and failure gets its policy's decision (ack-policy.ts),
 * sent coalesced on the channel its delivery came from (generation.ts), or
 * republished to the retry queue (retry-queue.ts) and then acked.
 *
 * A decision for a dead channel is dropped, counted and reported as stale,
 * never sent on another channel: a delivery tag means nothing there, and
 * the broker redelivers those messages.
 */
import { SluiceError, failureReason, type Logger, type Message } from '@sluice/core';
import { messageOf } from '../internal/error-helpers.ts';
import { withTimeout } from '../internal/timeout.ts';
import { decide, failuresOf } from './ack-policy.ts';
import type { WireCommand } from './delivery-tracker.ts';
import type { Generation } from './generation.ts';
import { deadLetterCopy, type DeadLetterTarget } from './dead-letter.ts';
import type { AckData } from './message.ts';
import type { ResolvedRabbitMqOptions } from './options.ts';
import { republish, type Retry } from './retry-queue.ts';
import { channels, type RabbitMqEventBase } from './telemetry.ts';

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
  /** Failed messages published to the dead-letter exchange with their reason, then acked. */
  deadLettered: number;
  /** Dead-letter publishes that failed, whose messages were rejected instead. */
  deadLetterFallbacks: number;
}

/** What {@link Settlement} needs from its producer instance. */
export interface SettlementParams {
  readonly options: ResolvedRabbitMqOptions;
  /** The prefetch in force (a resize may change it). */
  prefetch(): number;
  readonly stats: RabbitMqProducerStats;
  readonly logger: Logger;
  readonly base: RabbitMqEventBase;
  /** The generation consuming now, if any. */
  current(): Generation | undefined;
  /** A generation is lost (its channel failed). */
  lost(generation: Generation, reason: string, error: Error | undefined): void;
}

/** Settles one producer instance's messages; see the file header. */
export class Settlement {
  readonly #p: SettlementParams;
  /** See {@link unconfirmed}. */
  #unconfirmed = 0;
  #confirming = false;
  #lastConfirm = 0;
  #staleTotal = 0;

  constructor(params: SettlementParams) {
    this.#p = params;
  }

  /** The acknowledger's `ack`: decides every message, sends or republishes. */
  ack(generation: Generation, successful: Message[], failed: Message[]): Promise<void> | undefined {
    if (generation.dead) {
      const count = successful.length + failed.length;
      this.stale(generation, count);
      // The pipeline counts them as not acked: its stop report stays true.
      return Promise.reject(staleError(generation, count));
    }
    const o = this.#p.options;
    const tracker = generation.tracker;
    for (let i = 0; i < successful.length; i++) {
      const data = (successful[i] as Message).ackData as AckData;
      const d = data.delivery;
      const decision = decide(data.onSuccess ?? o.onSuccess, {
        redelivered: d.redelivered,
        failures: 0,
      });
      if (decision.kind === 'settle') tracker.settle(d.deliveryTag, decision.op);
    }
    let retries: Retry[] | undefined;
    let dead: Message[] | undefined;
    const target = deadLetterTarget(o);
    for (const message of failed) {
      const data = message.ackData as AckData;
      const d = data.delivery;
      const p = data.onFailure ?? o.onFailure;
      const decision = decide(
        p,
        { redelivered: d.redelivered, failures: p === 'retry' ? failuresOf(d.headers) : 0 },
        o.retry,
      );
      if (decision.kind === 'retry') {
        (retries ??= []).push({ message, attempt: decision.attempt, delayMs: decision.delayMs });
      } else if (decision.op === 'reject' && target !== undefined) (dead ??= []).push(message);
      else tracker.settle(d.deliveryTag, decision.op);
    }
    if (retries !== undefined || dead !== undefined) {
      return Promise.all([
        retries && this.#retry(generation, retries),
        dead && this.#deadLetter(generation, target as DeadLetterTarget, dead),
      ]).then(() => undefined);
    }
    this.#confirmSoon(generation);
    return generation.scheduleFlush().then(raise);
  }

  /**
   * Publishes the dead letters with their reason (dead-letter.ts); once the
   * broker confirmed them, acks the originals. A failed publish rejects them
   * instead: the broker dead-letters them as before, nothing is lost.
   */
  async #deadLetter(
    generation: Generation,
    target: DeadLetterTarget,
    messages: readonly Message[],
  ): Promise<void> {
    const queue = this.#p.options.queue;
    const flushed = generation.scheduleFlush(); // the other decisions go out meanwhile
    let op: 'ack' | 'reject' = 'ack';
    let failure: Error | undefined;
    try {
      const copies = messages.map((m) => ({
        content: (m.ackData as AckData).delivery.content,
        ...deadLetterCopy(m, queue, target, failureReason(m.status)),
      }));
      await this.timed(
        `publisher confirms of the dead letters to exchange '${target.exchange}'`,
        () => generation.deadLetters.publishAll(target, copies),
      );
      this.#p.stats.deadLettered += messages.length;
    } catch (error) {
      op = 'reject';
      failure = error instanceof Error ? error : new Error(messageOf(error));
      this.#p.stats.deadLetterFallbacks += messages.length;
      this.#p.logger.warn(
        { count: messages.length, exchange: target.exchange, error: messageOf(error) },
        `publishing ${messages.length} dead letters to exchange '${target.exchange}' failed (${messageOf(error)}); rejecting them instead, so the broker dead-letters them without their reason`,
      );
    }
    if (channels.deadLetter.hasSubscribers) {
      channels.deadLetter.publish({
        ...this.#p.base,
        exchange: target.exchange,
        count: messages.length,
        error: failure,
      });
    }
    raise(await flushed);
    if (generation.dead) {
      this.stale(generation, messages.length);
      throw staleError(generation, messages.length);
    }
    for (const m of messages) {
      generation.tracker.settle((m.ackData as AckData).delivery.deliveryTag, op);
    }
    this.#confirmSoon(generation);
    raise(await generation.scheduleFlush());
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
  #confirmSoon(generation: Generation): void {
    if (this.#confirming || performance.now() - this.#lastConfirm < 1000) return;
    this.#confirming = true;
    void generation
      .scheduleFlush()
      .then(async () => {
        const sent = this.#unconfirmed;
        await this.timed('ack confirmation', () => generation.channel.prefetch(this.#p.prefetch()));
        this.#unconfirmed -= sent;
        this.#lastConfirm = performance.now();
      })
      .catch(() => undefined) // a dead channel is handled where it dies
      .finally(() => {
        this.#confirming = false;
      });
  }

  /** Settlements sent and not yet confirmed by a later round trip on their channel. */
  unconfirmed(): number {
    return this.#unconfirmed;
  }

  /** A round trip on the channel was answered: the first `count` unconfirmed settlements were taken. */
  confirmed(count: number = this.#unconfirmed): void {
    this.#unconfirmed -= count;
  }

  /** Republishes to the retry queue; once the broker confirmed, acks the originals. */
  async #retry(generation: Generation, retries: readonly Retry[]): Promise<void> {
    const retryQueue = (this.#p.options.retry as NonNullable<ResolvedRabbitMqOptions['retry']>)
      .queue;
    const flushed = generation.scheduleFlush(); // the other decisions go out meanwhile
    try {
      for (const retry of retries) {
        republish(generation.channel, retryQueue, retry);
        if (channels.retry.hasSubscribers) {
          channels.retry.publish({
            ...this.#p.base,
            messageId: retry.message.id,
            attempt: retry.attempt,
            delayMs: retry.delayMs,
            retryQueue,
          });
        }
      }
      await this.timed(`publisher confirms of the republish to ${retryQueue}`, () =>
        generation.channel.waitForConfirms(),
      );
    } catch (error) {
      // The channel is gone: the originals come back from the broker (and a
      // copy may already wait in the retry queue: a duplicate).
      this.#p.lost(
        generation,
        `republishing to ${retryQueue} failed: ${messageOf(error)}`,
        undefined,
      );
      this.stale(generation, retries.length);
      raise(await flushed);
      throw staleError(generation, retries.length);
    }
    raise(await flushed);
    if (generation.dead) {
      this.stale(generation, retries.length);
      throw staleError(generation, retries.length);
    }
    this.#p.stats.retried += retries.length;
    for (const { message } of retries) {
      generation.tracker.settle((message.ackData as AckData).delivery.deliveryTag, 'ack');
    }
    raise(await generation.scheduleFlush());
  }

  /** A command went out on the generation's channel. */
  sent(generation: Generation, command: WireCommand): void {
    this.#unconfirmed += command.count;
    if (command.op === 'ack') {
      if (channels.ack.hasSubscribers) {
        channels.ack.publish({ ...this.#p.base, generation: generation.number, ...command });
      }
    } else if (channels.reject.hasSubscribers) {
      channels.reject.publish({
        ...this.#p.base,
        generation: generation.number,
        deliveryTag: command.deliveryTag,
        multiple: command.multiple,
        count: command.count,
        requeue: command.op === 'requeue',
      });
    }
  }

  /** Settlements for a dead channel: dropped, counted and reported, never sent elsewhere. */
  stale(generation: Generation, count: number): void {
    if (count === 0) return;
    this.#p.stats.staleAcks += count;
    this.#staleTotal += count;
    const line = `dropped ${count} acks for deliveries of closed channel generation ${generation.number}; the broker redelivers those messages`;
    if (generation.warnedStale) this.#p.logger.debug({ count }, line);
    else {
      generation.warnedStale = true;
      this.#p.logger.warn({ count, generation: generation.number }, line);
    }
    if (channels.staleAcks.hasSubscribers) {
      channels.staleAcks.publish({
        ...this.#p.base,
        generation: generation.number,
        currentGeneration: this.#p.current()?.number,
        count,
        total: this.#staleTotal,
      });
    }
  }

  /** One call to RabbitMQ, bounded by `requestTimeout` (ERR_BROKER_TIMEOUT past it). */
  timed<T>(operation: string, run: () => Promise<T>): Promise<T> {
    return withTimeout(
      { broker: 'rabbitmq', operation, timeoutMs: this.#p.options.requestTimeout },
      run,
    );
  }
}

/** Where Sluice publishes dead letters itself, or undefined when it leaves them to basic.reject. */
function deadLetterTarget(o: ResolvedRabbitMqOptions): DeadLetterTarget | undefined {
  const { publish, exchange, routingKey } = o.deadLetter;
  return publish && exchange !== undefined ? { exchange, routingKey } : undefined;
}

/** Throws what a flush reports as dropped. */
function raise(dropped: Error | undefined): void {
  if (dropped !== undefined) throw dropped;
}

function staleError(generation: Generation, count: number): SluiceError {
  return new SluiceError(
    'ERR_ACK_FAILED',
    `${count} acks for deliveries of closed channel generation ${generation.number} cannot be sent; the broker redelivers those messages`,
  );
}
