/**
 * What `sluice dlq` needs from a broker's dead-letter destination, one
 * adapter file per broker (sqs.ts, kafka.ts, rabbitmq.ts): count it, look
 * at its messages without removing them, send a chosen set back to the
 * source, and empty it.
 */

/**
 * The file does not say enough to find the dead letters (no dead-letter
 * queue or topic, a producer without one): `sluice dlq` exits 2.
 */
export class DlqConfigError extends Error {}

/** A message in a dead-letter destination, with what Sluice recorded about its failure. */
export interface DeadLetter {
  /** The broker's id: SQS message id, Kafka `partition:offset`, RabbitMQ message id (or `#n`). */
  readonly id: string;
  /** Kafka's record key, SQS's message group, RabbitMQ's routing key when it had one. */
  readonly key?: string | undefined;
  /** Why it failed, as recorded; `unknown` when nothing was. */
  readonly reason: string;
  /** How many times it was handled, when recorded. */
  readonly attempts?: number | undefined;
  readonly body: string;
  /** Where a replay sends it: the source queue or topic. */
  readonly source: string;
}

/** Which messages a replay sends back, how many, how fast. */
export interface ReplayOptions {
  readonly match: (letter: DeadLetter) => boolean;
  /** At most this many. */
  readonly limit: number;
  /** Messages per second; unlimited when left out. */
  readonly rate?: number | undefined;
  /** Called once each message is confirmed at its source and removed from the dead letters. */
  readonly onReplayed?: ((letter: DeadLetter) => void) | undefined;
}

/** What a replay did. */
export interface ReplayResult {
  /** Sent to the source, confirmed, then removed from the dead letters. */
  readonly replayed: number;
  /** Looked at and left where they were (filtered out or past the limit). */
  readonly kept: number;
  /** Something the user should know about what was left, e.g. why (printed as is). */
  readonly note?: string | undefined;
}

/** One broker's dead-letter destination. */
export interface DlqAdapter {
  /** What it is, for people: `SQS queue orders-dlq`. */
  readonly description: string;
  /** Messages waiting in it. */
  count(): Promise<number>;
  /** Up to `limit` of its messages, oldest first, left in place. */
  peek(limit: number): Promise<DeadLetter[]>;
  /**
   * Sends the matching messages to their source, each removed from the
   * dead letters only after the source confirmed it (at least once: an
   * interrupted replay sends the unconfirmed ones again next time).
   */
  replay(options: ReplayOptions): Promise<ReplayResult>;
  /** Deletes every message; resolves to how many there were. */
  purge(): Promise<number>;
  close(): Promise<void>;
}

/**
 * A pacer for `rate` messages per second: await it before each send.
 * Without a rate it never waits.
 */
export function pacer(rate: number | undefined): () => Promise<void> {
  if (rate === undefined) return () => Promise.resolve();
  const interval = 1000 / rate;
  let next = performance.now();
  return async () => {
    const now = performance.now();
    const wait = next - now;
    next = Math.max(next, now) + interval;
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  };
}
