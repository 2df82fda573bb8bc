/**
 * Stream and consumer management, for fixtures, tools and tests; a
 * producer does not need it (its seam is {@link NatsClient}).
 */
import type { NatsHeaders } from './client.ts';

/** What a consumer reports about its messages. */
export interface NatsConsumerCounts {
  /** In the stream and not yet delivered to this consumer. */
  readonly pending: number;
  /** Delivered and not yet acked. */
  readonly ackPending: number;
  /** Waiting to be redelivered. */
  readonly redelivered: number;
}

/** A message read by {@link NatsAdmin.readStream}. */
export interface NatsStoredMessage {
  readonly subject: string;
  readonly seq: number;
  readonly data: Uint8Array;
  readonly headers: NatsHeaders;
}

/** JetStream management over one connection. */
export interface NatsAdmin {
  /** Creates a file stream on `subjects` (replaces nothing: fails if it exists with another config). */
  createStream(name: string, subjects: readonly string[]): Promise<void>;
  deleteStream(name: string): Promise<void>;
  /** Creates a durable pull consumer with explicit acks. */
  createConsumer(
    stream: string,
    durable: string,
    config: { readonly ackWaitMs: number; readonly filterSubject?: string },
  ): Promise<void>;
  consumerCounts(stream: string, durable: string): Promise<NatsConsumerCounts>;
  /** Every message stored in `stream` (optionally only on `subject`), in order. */
  readStream(stream: string, subject?: string): Promise<NatsStoredMessage[]>;
  /** Publishes and waits for JetStream's ack. */
  publish(subject: string, data: Uint8Array, headers?: NatsHeaders): Promise<void>;
  close(): Promise<void>;
}
