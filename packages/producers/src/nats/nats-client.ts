/**
 * The {@link NatsClient} and {@link NatsAdmin} seams over the official
 * `@nats-io/transport-node` and `@nats-io/jetstream` clients, loaded at
 * first use (optional peer dependencies). Library errors become
 * `BrokerError`s with the server URLs' credentials hidden.
 */
import type * as Transport from '@nats-io/transport-node';
import type * as JetStream from '@nats-io/jetstream';
import type { Logger } from '@sluice/core';
import { BrokerError, isBrokerError, type BrokerErrorCode } from '../errors.ts';
import { isAbortError, redactedMessageOf } from '../internal/error-helpers.ts';
import { loadLibrary } from '../internal/load-library.ts';
import type { NatsAdmin, NatsConsumerCounts, NatsStoredMessage } from './admin.ts';
import type {
  NatsClient,
  NatsConsumerConfig,
  NatsFetchOptions,
  NatsHeaders,
  NatsMessage,
} from './client.ts';
import { ReconnectPolicy } from './reconnect.ts';

const RANGE = '^3.4.0';

/** Loads both NATS libraries, or throws `ERR_MISSING_LIBRARY` naming the one missing. */
export function loadNats(): { transport: typeof Transport; js: typeof JetStream } {
  return {
    transport: loadLibrary<typeof Transport>('@nats-io/transport-node', RANGE, 'nats'),
    js: loadLibrary<typeof JetStream>('@nats-io/jetstream', RANGE, 'nats'),
  };
}

/** How to open a connection. */
export interface NatsConnectOptions {
  readonly servers: readonly string[];
  readonly name: string;
  /** The connect timeout, in ms. */
  readonly timeoutMs: number;
  readonly reconnectBackoff: { readonly initial: number; readonly max: number };
  readonly logger?: Logger;
}

/** The most a drained pull waits for the server to say it has nothing more, in ms. */
const IDLE_HEARTBEAT_MS = 500;

const ns = (ms: number): number => Math.round(ms * 1_000_000);

/** A `NatsConnection` and its JetStream handles. */
class Connection {
  readonly nc: Transport.NatsConnection;
  readonly lib: ReturnType<typeof loadNats>;
  readonly servers: readonly string[];
  /** The server reads a reason after `+TERM` (NATS 2.10.4 and later); older ones ignore such a term. */
  readonly termReasons: boolean;

  constructor(
    nc: Transport.NatsConnection,
    lib: ReturnType<typeof loadNats>,
    servers: readonly string[],
  ) {
    this.nc = nc;
    this.lib = lib;
    this.servers = servers;
    this.termReasons = atLeast(nc.info?.version ?? '0.0.0', [2, 10, 4]);
  }

  static async open(o: NatsConnectOptions): Promise<Connection> {
    const lib = loadNats();
    const policy = new ReconnectPolicy(o.reconnectBackoff);
    let nc: Transport.NatsConnection;
    try {
      nc = await lib.transport.connect({
        servers: [...o.servers],
        name: o.name,
        timeout: o.timeoutMs,
        maxReconnectAttempts: -1,
        reconnectDelayHandler: () => policy.nextDelay(),
      });
    } catch (error) {
      throw toBrokerError(error, o.servers, `cannot connect to NATS`);
    }
    void watch(nc, policy, o);
    return new Connection(nc, lib, o.servers);
  }

  async close(): Promise<void> {
    if (this.nc.isClosed()) return;
    await this.nc.drain().catch(() => this.nc.close());
  }
}

/** True when the version `v` (e.g. `2.9.10`) is at least `min`. */
export function atLeast(v: string, min: readonly [number, number, number]): boolean {
  const parts = v.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < 3; i++) {
    const a = parts[i] ?? 0;
    const b = min[i] ?? 0;
    if (a !== b) return a > b;
  }
  return true;
}

async function watch(
  nc: Transport.NatsConnection,
  policy: ReconnectPolicy,
  o: NatsConnectOptions,
): Promise<void> {
  for await (const s of nc.status()) {
    if (s.type === 'reconnect') {
      o.logger?.info({ attempts: policy.attempts }, 'NATS connection is back');
      policy.reconnected();
    } else if (s.type === 'disconnect') {
      o.logger?.warn({ code: 'WARN_NATS_DISCONNECTED' }, 'NATS connection lost; reconnecting');
    }
  }
}

function toHeaders(h: Transport.MsgHdrs | undefined): NatsHeaders {
  const out: Record<string, string[]> = {};
  if (h === undefined) return out;
  for (const [key, values] of h) out[key] = values;
  return out;
}

function fromHeaders(lib: ReturnType<typeof loadNats>, headers: NatsHeaders): Transport.MsgHdrs {
  const h = lib.transport.headers();
  for (const [key, values] of Object.entries(headers)) for (const v of values) h.append(key, v);
  return h;
}

/** A JetStream message as a {@link NatsMessage}. */
function toMessage(m: JetStream.JsMsg, termReasons: boolean): NatsMessage {
  return {
    subject: m.subject,
    data: m.data,
    headers: toHeaders(m.headers),
    streamSequence: m.info.streamSequence,
    deliveryCount: m.info.deliveryCount,
    timestamp: Math.floor(m.info.timestampNanos / 1_000_000),
    ack: () => m.ack(),
    ackAck: (timeout) => m.ackAck({ timeout }),
    nak: (delay) => m.nak(delay),
    term: (reason) => (termReasons ? m.term(reason) : m.term()),
    working: () => m.working(),
  };
}

/** The NATS producer's {@link NatsClient} over the official clients. */
export class NatsJsClient implements NatsClient {
  readonly #c: Connection;
  readonly #stream: string;
  readonly #durable: string;
  #consumer: JetStream.Consumer | undefined;

  private constructor(c: Connection, stream: string, durable: string) {
    this.#c = c;
    this.#stream = stream;
    this.#durable = durable;
  }

  /** Connects to `servers` and binds to the durable consumer `durable` of `stream`. */
  static async connect(
    o: NatsConnectOptions & { readonly stream: string; readonly consumer: string },
  ): Promise<NatsJsClient> {
    return new NatsJsClient(await Connection.open(o), o.stream, o.consumer);
  }

  async consumerAckWait(create?: NatsConsumerConfig): Promise<number> {
    const { js } = this.#c.lib;
    const jsm = await js.jetstreamManager(this.#c.nc);
    try {
      const info = await jsm.consumers.info(this.#stream, this.#durable);
      return (info.config.ack_wait ?? ns(30_000)) / 1_000_000;
    } catch (error) {
      const missing = notFound(error, js) === 'consumer';
      if (!missing || create === undefined) throw this.#error(error, `consumer info`);
    }
    try {
      const info = await jsm.consumers.add(this.#stream, {
        durable_name: this.#durable,
        ack_policy: js.AckPolicy.Explicit,
        ack_wait: ns(create.ackWaitMs),
        max_ack_pending: -1,
        ...(create.filterSubject !== undefined && { filter_subject: create.filterSubject }),
      });
      return (info.config.ack_wait ?? ns(30_000)) / 1_000_000;
    } catch (error) {
      throw this.#error(error, 'create consumer');
    }
  }

  async fetch(o: NatsFetchOptions, onMessage: (message: NatsMessage) => void): Promise<void> {
    try {
      this.#consumer ??= await this.#c.lib.js
        .jetstream(this.#c.nc)
        .consumers.get(this.#stream, this.#durable);
      // The server sends an idle heartbeat when it has nothing to send
      // for the pull: after an abort, that says every message it had
      // for us is here.
      const heartbeatMs = Math.min(IDLE_HEARTBEAT_MS, Math.floor(o.expiresMs / 2));
      const iter = await this.#consumer.fetch({
        max_messages: o.max,
        expires: o.expiresMs,
        idle_heartbeat: heartbeatMs,
      });
      // Aborted: the messages the server has already sent, or sends before
      // its next idle heartbeat, are released (`nak` without delay) so they
      // go to another consumer now, not after ackWait; then, once none is
      // left to read, the pull is closed.
      let quiet = false;
      const closeWhenQuiet = () => {
        if (quiet && iter.getPending() === 0) void iter.close();
      };
      void (async () => {
        for await (const status of iter.status()) {
          if (status.type === 'heartbeat' && o.signal.aborted) {
            quiet = true;
            closeWhenQuiet();
          }
        }
      })().catch(() => undefined);
      for await (const m of iter) {
        if (o.signal.aborted) {
          m.nak();
          closeWhenQuiet();
        } else {
          onMessage(toMessage(m, this.#c.termReasons));
        }
      }
    } catch (error) {
      if (o.signal.aborted && isAbortError(o.signal.reason)) return;
      throw this.#error(error, 'fetch');
    }
  }

  async publish(subject: string, data: Uint8Array, headers: NatsHeaders): Promise<void> {
    try {
      await this.#c.lib.js
        .jetstream(this.#c.nc)
        .publish(subject, data, { headers: fromHeaders(this.#c.lib, headers) });
    } catch (error) {
      throw this.#error(error, `publish to ${subject}`);
    }
  }

  async flush(): Promise<void> {
    try {
      await this.#c.nc.flush();
    } catch (error) {
      throw this.#error(error, 'flush');
    }
  }

  close(): Promise<void> {
    return this.#c.close();
  }

  #error(error: unknown, what: string): BrokerError {
    return toBrokerError(
      error,
      this.#c.servers,
      `${what} (${this.#stream}/${this.#durable})`,
      this.#c.lib,
    );
  }
}

/** {@link NatsAdmin} over the official clients, for fixtures and tools. */
export class NatsJsAdmin implements NatsAdmin {
  readonly #c: Connection;

  private constructor(c: Connection) {
    this.#c = c;
  }

  static async connect(servers: readonly string[], timeoutMs = 5000): Promise<NatsJsAdmin> {
    return new NatsJsAdmin(
      await Connection.open({
        servers,
        name: 'sluice-admin',
        timeoutMs,
        reconnectBackoff: { initial: 250, max: 2000 },
      }),
    );
  }

  async createStream(name: string, subjects: readonly string[]): Promise<void> {
    const jsm = await this.#c.lib.js.jetstreamManager(this.#c.nc);
    await jsm.streams.add({ name, subjects: [...subjects] });
  }

  async deleteStream(name: string): Promise<void> {
    const jsm = await this.#c.lib.js.jetstreamManager(this.#c.nc);
    await jsm.streams.delete(name);
  }

  async createConsumer(
    stream: string,
    durable: string,
    config: { readonly ackWaitMs: number; readonly filterSubject?: string },
  ): Promise<void> {
    const { js } = this.#c.lib;
    const jsm = await js.jetstreamManager(this.#c.nc);
    await jsm.consumers.add(stream, {
      durable_name: durable,
      ack_policy: js.AckPolicy.Explicit,
      ack_wait: ns(config.ackWaitMs),
      max_ack_pending: -1,
      ...(config.filterSubject !== undefined && { filter_subject: config.filterSubject }),
    });
  }

  async consumerCounts(stream: string, durable: string): Promise<NatsConsumerCounts> {
    const jsm = await this.#c.lib.js.jetstreamManager(this.#c.nc);
    const info = await jsm.consumers.info(stream, durable);
    return {
      pending: info.num_pending,
      ackPending: info.num_ack_pending,
      redelivered: info.num_redelivered,
    };
  }

  async readStream(stream: string, subject?: string): Promise<NatsStoredMessage[]> {
    const jsm = await this.#c.lib.js.jetstreamManager(this.#c.nc);
    const info = await jsm.streams.info(stream);
    const out: NatsStoredMessage[] = [];
    for (
      let seq = info.state.first_seq;
      seq <= info.state.last_seq && info.state.messages > 0;
      seq++
    ) {
      const m = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
      if (m === null) continue;
      if (subject !== undefined && m.subject !== subject) continue;
      out.push({ subject: m.subject, seq: m.seq, data: m.data, headers: toHeaders(m.header) });
    }
    return out;
  }

  async publish(subject: string, data: Uint8Array, headers: NatsHeaders = {}): Promise<void> {
    await this.#c.lib.js
      .jetstream(this.#c.nc)
      .publish(subject, data, { headers: fromHeaders(this.#c.lib, headers) });
  }

  close(): Promise<void> {
    return this.#c.close();
  }
}

/** A library error as a `BrokerError` with a stable code; credentials of `servers` hidden. */
export function toBrokerError(
  error: unknown,
  servers: readonly string[],
  what: string,
  lib?: ReturnType<typeof loadNats>,
): BrokerError {
  if (isBrokerError(error)) return error;
  const message = redactedMessageOf(error, servers);
  return new BrokerError(codeOf(error, lib), 'nats', `NATS ${what} failed: ${message}`, {
    cause: error,
  });
}

/** Which JetStream resource `error` says is missing, if any. */
function notFound(error: unknown, js: typeof JetStream): 'stream' | 'consumer' | undefined {
  if (!(error instanceof js.JetStreamApiError)) return undefined;
  if (error.code === js.JetStreamApiCodes.ConsumerNotFound) return 'consumer';
  if (error.code === js.JetStreamApiCodes.StreamNotFound) return 'stream';
  return undefined;
}

function codeOf(error: unknown, lib: ReturnType<typeof loadNats> | undefined): BrokerErrorCode {
  const name = error instanceof Error ? error.constructor.name : '';
  if (lib !== undefined && notFound(error, lib.js) !== undefined) return 'ERR_QUEUE_NOT_FOUND';
  if (name === 'StreamNotFoundError' || name === 'ConsumerNotFoundError') {
    return 'ERR_QUEUE_NOT_FOUND';
  }
  if (name === 'ClosedConnectionError' || name === 'DrainingConnectionError') {
    return 'ERR_BROKER_CLOSED';
  }
  if (name === 'ConnectionError' || name === 'TimeoutError' || name === 'NoRespondersError') {
    return 'ERR_BROKER_UNREACHABLE';
  }
  if ((error as { code?: unknown }).code === 'ECONNREFUSED') return 'ERR_BROKER_UNREACHABLE';
  return 'ERR_BROKER_REQUEST';
}
