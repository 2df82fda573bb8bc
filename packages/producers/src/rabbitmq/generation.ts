/**
 * One generation of a RabbitMQ consumer: a connection and the channel that
 * consumes on it, from open to close, with the deliveries that channel has
 * not settled yet. Messages carry their generation as `ackRef`, so an ack always goes to the
 * channel its delivery came from, or nowhere once that channel is dead: a
 * delivery tag means nothing on any other channel.
 *
 * Settlements are coalesced: decisions collect in the tracker and are sent
 * together on the next turn of the event loop (`setImmediate`), which lets
 * the acks of several processors share one `multiple` ack.
 */
import { SluiceError } from '@sluice/core';
import type { WireCommand } from './delivery-tracker.ts';
import { DeliveryTracker } from './delivery-tracker.ts';
import type { RabbitMqChannel, RabbitMqConnection } from './client.ts';
import { DeadLetterChannel } from './dead-letter.ts';

/** What a generation reports to its owner. */
export interface GenerationSink {
  /** A command was sent on the channel. */
  sent(generation: Generation, command: WireCommand): void;
  /** Sending failed: the channel is gone. `count` decisions were dropped. */
  sendFailed(generation: Generation, error: unknown, count: number): void;
}

/** One connection + consuming channel, open to close; see the file header. */
export class Generation {
  /** Counts the generations of one producer instance, from 1. */
  readonly number: number;
  readonly connection: RabbitMqConnection;
  readonly channel: RabbitMqChannel;
  readonly tracker = new DeliveryTracker();
  /** The confirm channel for dead letters, on the same connection (dead-letter.ts). */
  readonly deadLetters: DeadLetterChannel;
  /** The consumer tag, once basic.consume succeeded. */
  consumerTag: string | undefined;
  /** Set up completely; a loss from now on triggers a reconnect. */
  ready = false;
  /** The channel or connection is gone (or being closed): nothing is sent any more. */
  dead = false;
  /** Stale settlements already logged at warn level for this generation. */
  warnedStale = false;
  readonly #sink: GenerationSink;
  #flush: { promise: Promise<Error | undefined>; resolve: (dropped?: Error) => void } | undefined;

  constructor(
    number: number,
    connection: RabbitMqConnection,
    channel: RabbitMqChannel,
    sink: GenerationSink,
  ) {
    this.number = number;
    this.connection = connection;
    this.channel = channel;
    this.deadLetters = new DeadLetterChannel(connection);
    this.#sink = sink;
  }

  /**
   * Sends the decisions made so far on the next turn. Resolves once they
   * are sent, with `undefined`, or dropped (the channel is gone), with an
   * `ERR_ACK_FAILED` error saying so; it never rejects, so a caller that
   * does not care need not handle it.
   */
  scheduleFlush(): Promise<Error | undefined> {
    if (this.#flush === undefined) {
      let resolve!: (dropped?: Error) => void;
      const promise = new Promise<Error | undefined>((r) => {
        resolve = r;
      });
      this.#flush = { promise, resolve };
      setImmediate(() => this.flushNow());
    }
    return this.#flush.promise;
  }

  /** Sends the decisions made so far, now. */
  flushNow(): void {
    const pending = this.#flush;
    this.#flush = undefined;
    if (!this.dead) {
      const commands = this.tracker.flush();
      for (let i = 0; i < commands.length; i++) {
        const command = commands[i] as WireCommand;
        try {
          send(this.channel, command);
        } catch (error) {
          let dropped = 0;
          for (let j = i; j < commands.length; j++) dropped += (commands[j] as WireCommand).count;
          this.#sink.sendFailed(this, error, dropped);
          // Every ack waiting on this flush hears it: some of theirs may have
          // gone out, but none is known to have, so none reports success.
          pending?.resolve(this.#dropped(dropped, (error as Error).message));
          return;
        }
        this.#sink.sent(this, command);
      }
    }
    pending?.resolve();
  }

  /** Marks the generation dead; returns how many decisions were never sent. */
  kill(): number {
    if (this.dead) return 0;
    this.dead = true;
    const dropped = this.tracker.clear();
    const pending = this.#flush;
    this.#flush = undefined;
    pending?.resolve(dropped > 0 ? this.#dropped(dropped, 'the channel closed') : undefined);
    return dropped;
  }

  #dropped(count: number, cause: string): Error {
    return new SluiceError(
      'ERR_ACK_FAILED',
      `${count} acks of channel generation ${this.number} were not sent (${cause}); the broker redelivers those messages`,
    );
  }
}

function send(channel: RabbitMqChannel, command: WireCommand): void {
  const { op, deliveryTag, multiple } = command;
  if (op === 'ack') channel.ack(deliveryTag, { multiple });
  else if (multiple) channel.nack(deliveryTag, { multiple, requeue: op === 'requeue' });
  else channel.reject(deliveryTag, { requeue: op === 'requeue' });
}
