/**
 * Joining the consumer group in the background: `start()` is tried again,
 * after a jittered backoff from 500 ms up to 30 s, while the brokers are
 * unreachable, until it succeeds or the consumer drains.
 */
import { jitteredDelay, type Backoff } from '../internal/retry.ts';
import type { KafkaGroupConsumer } from './client.ts';

/** Between tries to join the group. */
const JOIN_BACKOFF: Backoff = { initial: 500, max: 30_000 };

/** How {@link joinInBackground} reports. */
export interface JoinHandlers {
  /** True once the consumer drains: no more tries. */
  readonly stopped: () => boolean;
  readonly onJoined: () => void;
  /** A try failed; another follows after the backoff. */
  readonly onError: (error: unknown) => void;
}

/** Starts `consumer`, trying again until it runs. Returns a function that cancels the next try. */
export function joinInBackground(consumer: KafkaGroupConsumer, handlers: JoinHandlers): () => void {
  let attempts = 0;
  let timer: NodeJS.Timeout | undefined;
  const run = (): void => {
    if (handlers.stopped()) return;
    consumer.start().then(handlers.onJoined, (error: unknown) => {
      handlers.onError(error);
      timer = setTimeout(run, jitteredDelay(++attempts, JOIN_BACKOFF));
    });
  };
  run();
  return () => clearTimeout(timer);
}
