/** An in-memory {@link NatsClient} and messages that record what was done to them. */
import type {
  NatsClient,
  NatsFetchOptions,
  NatsHeaders,
  NatsMessage,
} from '../../src/nats/client.ts';

/** A message that records its acks. */
export interface FakeMessage extends NatsMessage {
  readonly calls: string[];
}

const encoder = new TextEncoder();

/** A message `body` on `subject`, delivered `deliveryCount` times. */
export function fakeMessage(
  body: string,
  options: { subject?: string; seq?: number; deliveryCount?: number; headers?: NatsHeaders } = {},
): FakeMessage {
  const calls: string[] = [];
  return {
    calls,
    subject: options.subject ?? 'orders.new',
    data: encoder.encode(body),
    headers: options.headers ?? {},
    streamSequence: options.seq ?? 1,
    deliveryCount: options.deliveryCount ?? 1,
    timestamp: 0,
    ack: () => calls.push('ack'),
    ackAck: () => {
      calls.push('ackAck');
      return Promise.resolve(true);
    },
    nak: (delay) => calls.push(`nak ${delay}`),
    term: (reason) => calls.push(`term ${reason}`),
    working: () => calls.push('working'),
  };
}

/** A client whose pulls take from `queue`; records publishes, flushes and pulls. */
export class FakeNatsClient implements NatsClient {
  readonly queue: NatsMessage[] = [];
  readonly published: { subject: string; data: Uint8Array; headers: NatsHeaders }[] = [];
  readonly pulls: number[] = [];
  flushes = 0;
  closed = false;
  /** Makes the next pulls reject, one per error. */
  readonly failures: Error[] = [];
  publishError: Error | undefined;

  consumerAckWait(): Promise<number> {
    return Promise.resolve(30_000);
  }

  async fetch(o: NatsFetchOptions, onMessage: (m: NatsMessage) => void): Promise<void> {
    this.pulls.push(o.max);
    const failure = this.failures.shift();
    if (failure !== undefined) throw failure;
    for (const m of this.queue.splice(0, o.max)) onMessage(m);
    // An empty pull waits for its expiry, or until aborted.
    await new Promise<void>((resolve) => {
      if (o.signal.aborted) resolve();
      o.signal.addEventListener('abort', () => resolve(), { once: true });
      setTimeout(resolve, 0);
    });
  }

  publish(subject: string, data: Uint8Array, headers: NatsHeaders): Promise<void> {
    if (this.publishError !== undefined) return Promise.reject(this.publishError);
    this.published.push({ subject, data, headers });
    return Promise.resolve();
  }

  flush(): Promise<void> {
    this.flushes += 1;
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}
