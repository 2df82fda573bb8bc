/**
 * `NatsRun`: what one started NATS producer shares across its instances
 * (its `NatsConsumer`s): the connection every call goes through, the
 * consumer's ack wait, the heartbeats of held messages, and the
 * acknowledger. It lives from `prepareForStart` to the pipeline's stop.
 */
import { Message, type Logger } from '@sluice/core';
import { NatsAcknowledger, type NatsAckData } from './acknowledger.ts';
import type { NatsAckOptions } from './ack-options.ts';
import type { NatsClient, NatsHeaders, NatsMessage } from './client.ts';
import { Heartbeats } from './heartbeats.ts';
import { NatsJsClient } from './nats-client.ts';
import type { ResolvedNatsOptions } from './options.ts';
import { channels } from './telemetry.ts';
import { TimedNatsClient } from './timed-client.ts';

/** What a message from JetStream carries in `message.metadata`. */
// A type, not an interface, so it fits Message's `Record<string, unknown>` metadata.
export type NatsMetadata = {
  readonly subject: string;
  readonly stream: string;
  /** Its sequence number in the stream. */
  readonly streamSequence: number;
  /** How many times it has been delivered, this one included. */
  readonly deliveryCount: number;
  /** When it was stored, ms since the epoch. */
  readonly timestamp: number;
  readonly headers: NatsHeaders;
};

const decoder = new TextDecoder();

/** What one producer run shares. */
export class NatsRun {
  readonly client: NatsClient;
  readonly heartbeats: Heartbeats;
  readonly acknowledger: NatsAcknowledger;
  readonly #options: ResolvedNatsOptions;
  readonly #close: () => Promise<void>;

  /**
   * @param ackWaitMs the consumer's ack wait, from the server
   * @param close closes the connection when the run opened it
   */
  constructor(
    options: ResolvedNatsOptions,
    client: NatsClient,
    close: () => Promise<void>,
    ackWaitMs: number,
    logger: Logger,
  ) {
    this.#options = options;
    this.client = client;
    this.#close = close;
    const { stream, consumer } = options;
    this.heartbeats = new Heartbeats(ackWaitMs, options.heartbeat, (count) => {
      if (channels.working.hasSubscribers) channels.working.publish({ stream, consumer, count });
    });
    this.acknowledger = new NatsAcknowledger({
      client,
      heartbeats: this.heartbeats,
      stream,
      consumer,
      maxAttempts: options.maxAttempts,
      retryBackoff: options.retryBackoff,
      deadLetterSubject: options.deadLetterSubject,
      confirmAcks: options.confirmAcks,
      requestTimeout: options.requestTimeout,
      logger,
    });
  }

  /** A pulled message as a pipeline message, held (heartbeats) until it is settled. */
  toMessage(m: NatsMessage): NatsPipelineMessage {
    this.heartbeats.hold(m);
    const message = new Message<unknown, NatsMetadata, NatsAckOptions>({
      data: m.data,
      id: `${this.#options.stream}:${m.streamSequence}`,
      acknowledger: this.acknowledger,
      ackRef: this,
      ackData: { message: m } satisfies NatsAckData,
      metadata: {
        subject: m.subject,
        stream: this.#options.stream,
        streamSequence: m.streamSequence,
        deliveryCount: m.deliveryCount,
        timestamp: m.timestamp,
        headers: m.headers,
      },
    });
    return decode(message, this.#options.decode);
  }

  /** Stops the heartbeats and closes a connection the run opened (drained first). */
  async close(): Promise<void> {
    this.heartbeats.stop();
    await this.#close();
  }
}

/** A message from JetStream in the pipeline. */
type NatsPipelineMessage = Message<unknown, NatsMetadata, NatsAckOptions>;

function decode(
  message: NatsPipelineMessage,
  how: ResolvedNatsOptions['decode'],
): NatsPipelineMessage {
  if (how === 'bytes') return message;
  const text = decoder.decode(message.data as Uint8Array);
  if (how === 'string') return message.putData(text);
  try {
    return message.putData(JSON.parse(text) as unknown);
  } catch (error) {
    return message.fail(error);
  }
}

/**
 * The client every call goes through, each bounded by `requestTimeout`:
 * the options' `client` (left open), or a new connection to `servers`
 * (drained and closed by `close`).
 */
export async function openClient(
  options: ResolvedNatsOptions,
  logger: Logger,
): Promise<{ client: NatsClient; close: () => Promise<void> }> {
  if (options.client !== undefined) {
    return {
      client: new TimedNatsClient(options.client, options.requestTimeout),
      close: () => Promise.resolve(),
    };
  }
  const nats = await NatsJsClient.connect({
    // Defined: the options require servers (or NATS_URL) when no client is given.
    servers: options.servers ?? [],
    name: options.connectionName,
    timeoutMs: options.requestTimeout,
    reconnectBackoff: options.reconnectBackoff,
    stream: options.stream,
    consumer: options.consumer,
    logger,
  });
  const client = new TimedNatsClient(nats, options.requestTimeout);
  return { client, close: () => client.close() };
}
