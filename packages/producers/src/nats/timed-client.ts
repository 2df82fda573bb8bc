/**
 * Every {@link NatsClient} call bounded by `requestTimeout`: a pull by its
 * own expiry plus that (then aborted), the rest by that alone.
 */
import { withTimeout, type TimedCall } from '../internal/timeout.ts';
import type {
  NatsClient,
  NatsConsumerConfig,
  NatsFetchOptions,
  NatsHeaders,
  NatsMessage,
} from './client.ts';

/** A {@link NatsClient} whose calls settle within `timeoutMs` (pulls: their expiry plus it). */
export class TimedNatsClient implements NatsClient {
  readonly #inner: NatsClient;
  readonly #timeoutMs: number;

  constructor(inner: NatsClient, timeoutMs: number) {
    this.#inner = inner;
    this.#timeoutMs = timeoutMs;
  }

  consumerAckWait(create?: NatsConsumerConfig): Promise<number> {
    return withTimeout(this.#call('consumer info'), () => this.#inner.consumerAckWait(create));
  }

  fetch(o: NatsFetchOptions, onMessage: (message: NatsMessage) => void): Promise<void> {
    const call = { ...this.#call('fetch'), timeoutMs: o.expiresMs + this.#timeoutMs };
    return withTimeout(call, (signal) =>
      this.#inner.fetch({ ...o, signal: AbortSignal.any([o.signal, signal]) }, onMessage),
    );
  }

  publish(subject: string, data: Uint8Array, headers: NatsHeaders): Promise<void> {
    return withTimeout(this.#call(`publish to ${subject}`), () =>
      this.#inner.publish(subject, data, headers),
    );
  }

  flush(): Promise<void> {
    return withTimeout(this.#call('flush'), () => this.#inner.flush());
  }

  close(): Promise<void> {
    return withTimeout(this.#call('drain'), () => this.#inner.close());
  }

  #call(operation: string): TimedCall {
    return { broker: 'nats', operation, timeoutMs: this.#timeoutMs };
  }
}
