/**
 * The RabbitMQ seams (client.ts, admin.ts) over amqplib 2: connections. The
 * channels are in amqplib-channel.ts, the error mapping in amqplib-errors.ts;
 * these three are the only modules that touch amqplib. amqplib is an
 * optional peer dependency, loaded when the first `AmqplibClient` is made:
 * without it, that throws `ERR_MISSING_LIBRARY` naming the install command.
 *
 * Every connection and channel gets an `error` listener at once: amqplib
 * escalates an unhandled channel error to the whole connection, and an
 * unhandled connection error to an uncaught exception. The `close` event
 * still carries the error.
 */
import type * as Amqplib from 'amqplib';
import type { ChannelModel, SocketOptions } from 'amqplib';
import { redactUrl } from '@sluice/core';
import { BrokerError } from '../errors.ts';
import { isNetworkError, redactedMessageOf } from '../internal/error-helpers.ts';
import { loadLibrary } from '../internal/load-library.ts';
import type {
  RabbitMqAdminChannel,
  RabbitMqAdminClient,
  RabbitMqAdminConnection,
} from './admin.ts';
import { AmqplibChannel } from './amqplib-channel.ts';
import { ignore, isClosedError, toBrokerError } from './amqplib-errors.ts';

/** The amqplib range `@sluice/producers` is tested with. */
export const AMQPLIB_RANGE = '^2.3.1';

/**
 * amqplib itself, loaded on first use. Throws `ERR_MISSING_LIBRARY`, naming
 * `npm install amqplib@^2.3.1`, when it is not installed.
 */
export function loadAmqplib(): typeof Amqplib {
  return loadLibrary<typeof Amqplib>('amqplib', AMQPLIB_RANGE, 'RabbitMQ');
}

/** amqplib's `connect`, as {@link AmqplibClient} calls it. Replaceable for tests. */
export type AmqplibConnect = (url: string, socketOptions?: SocketOptions) => Promise<ChannelModel>;

/** Options of {@link AmqplibClient}. */
export interface AmqplibClientOptions {
  /** amqplib's `connect` by default; another one needs no amqplib installed. */
  readonly connect?: AmqplibConnect;
  /**
   * Socket options for every connection (TLS, timeouts, client properties).
   * `noDelay` defaults to true: with Nagle's algorithm on, each basic.get or
   * small ack can wait 40 ms for the peer's delayed ACK.
   */
  readonly socketOptions?: SocketOptions;
}

/**
 * The RabbitMQ client seams backed by amqplib. Connections do not reconnect
 * by themselves: watch `close` and connect again.
 *
 * @example
 * ```ts
 * const rabbit = new AmqplibClient();
 * const connection = await rabbit.connect('amqp://app:secret@rabbit.internal:5672');
 * const channel = await connection.createChannel({ confirm: true });
 * ```
 */
export class AmqplibClient implements RabbitMqAdminClient {
  readonly #connect: AmqplibConnect;
  readonly #socketOptions: SocketOptions;

  constructor(options: AmqplibClientOptions = {}) {
    this.#connect = options.connect ?? loadAmqplib().connect;
    this.#socketOptions = { noDelay: true, ...options.socketOptions };
  }

  /** Connects to `url` (credentials and vhost included). */
  async connect(
    url: string,
    options: { readonly connectionName?: string } = {},
  ): Promise<RabbitMqAdminConnection> {
    const where = redactUrl(url);
    const clientProperties = {
      ...this.#socketOptions.clientProperties,
      connection_name: options.connectionName ?? 'sluice',
    };
    try {
      const model = await this.#connect(url, { ...this.#socketOptions, clientProperties });
      return new AmqplibConnection(model, where);
    } catch (error) {
      if (isNetworkError(error)) {
        throw new BrokerError(
          'ERR_BROKER_UNREACHABLE',
          'rabbitmq',
          `cannot reach RabbitMQ at ${where}: ${redactedMessageOf(error, [url])}`,
          { cause: error },
        );
      }
      throw new BrokerError(
        'ERR_BROKER_REQUEST',
        'rabbitmq',
        `RabbitMQ at ${where} refused the connection: ${redactedMessageOf(error, [url])}`,
        { cause: error },
      );
    }
  }
}

class AmqplibConnection implements RabbitMqAdminConnection {
  readonly #model: ChannelModel;
  readonly #where: string;

  constructor(model: ChannelModel, where: string) {
    this.#model = model;
    this.#where = where;
    model.on('error', ignore);
  }

  async createChannel(options: { readonly confirm?: boolean } = {}): Promise<RabbitMqAdminChannel> {
    const confirm = options.confirm ?? false;
    try {
      const channel = confirm
        ? await this.#model.createConfirmChannel()
        : await this.#model.createChannel();
      return new AmqplibChannel(channel, confirm);
    } catch (error) {
      throw toBrokerError(error, 'createChannel', this.#where);
    }
  }

  async close(): Promise<void> {
    try {
      await this.#model.close();
    } catch (error) {
      if (!isClosedError(error)) throw toBrokerError(error, 'close', this.#where);
    }
  }

  destroy(): void {
    // amqplib has no public way to drop a connection whose close handshake hangs.
    const { connection } = this.#model as unknown as {
      connection?: { stream?: { destroy?: () => void } };
    };
    connection?.stream?.destroy?.();
  }

  on(event: 'close' | 'error', listener: (error: Error) => void): void {
    this.#model.on(event, listener);
  }
}
