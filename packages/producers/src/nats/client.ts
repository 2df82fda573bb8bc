/**
 * The seam between Sluice and a NATS JetStream client: the calls the NATS
 * producer makes, and nothing else. `NatsJsClient` implements it with
 * `@nats-io/jetstream` and `@nats-io/transport-node`; tests implement it
 * in memory. Admin and test calls are in admin.ts.
 *
 * Failures reject with a `BrokerError` (`ERR_BROKER_UNREACHABLE`,
 * `ERR_BROKER_CLOSED`, `ERR_QUEUE_NOT_FOUND` for a missing stream or
 * consumer, `ERR_BROKER_REQUEST`).
 */

/** One connection to NATS, bound to one durable pull consumer. */
export interface NatsClient {
  /**
   * The consumer's `ackWait` in ms; creates the consumer first when it is
   * missing and `create` is given.
   */
  consumerAckWait(create?: NatsConsumerConfig): Promise<number>;
  /**
   * One pull of up to `max` messages that waits at most `expiresMs` on the
   * server. Each message goes to `onMessage` as it arrives; resolves when
   * the pull has ended (all delivered, expired, or `signal` aborted). Once
   * aborted, messages that still arrive are released (`nak` without delay)
   * instead of handed on.
   */
  fetch(options: NatsFetchOptions, onMessage: (message: NatsMessage) => void): Promise<void>;
  /** Publishes to a stream's subject and resolves once JetStream has stored it. */
  publish(subject: string, data: Uint8Array, headers: NatsHeaders): Promise<void>;
  /** Resolves once the server has received everything sent so far (acks included). */
  flush(): Promise<void>;
  /** Drains the connection (pending writes go out) and closes it. */
  close(): Promise<void>;
}

/** The consumer to create when it is missing. */
export interface NatsConsumerConfig {
  readonly ackWaitMs: number;
  readonly filterSubject?: string;
}

/** Options of {@link NatsClient.fetch}. */
export interface NatsFetchOptions {
  readonly max: number;
  readonly expiresMs: number;
  readonly signal: AbortSignal;
}

/** Message headers, each name with its values. */
export type NatsHeaders = Readonly<Record<string, readonly string[]>>;

/** A message pulled from JetStream, with the acks it takes. */
export interface NatsMessage {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly headers: NatsHeaders;
  /** Its sequence number in the stream. */
  readonly streamSequence: number;
  /** How many times it has been delivered, this time included (1 on the first). */
  readonly deliveryCount: number;
  /** When it was stored, in ms since the epoch. */
  readonly timestamp: number;
  /** Acks it (fire and forget; see {@link NatsClient.flush}). */
  ack(): void;
  /** Acks it and resolves once JetStream has confirmed it. */
  ackAck(timeoutMs: number): Promise<boolean>;
  /** Asks for redelivery after `delayMs`. */
  nak(delayMs: number): void;
  /** Gives it up for good: it will not be delivered again. */
  term(reason: string): void;
  /** Resets its ack timer: still being worked on. */
  working(): void;
}
