/**
 * Bounds one broker call: whatever the client library does (a socket to a
 * frozen broker, a retry loop, a promise that never settles), the call
 * settles within its timeout. Used by every producer for every broker call
 * it makes, so no acknowledger, receive loop or shutdown waits for ever.
 */
import { MAX_TIMER_MS } from '@sluice/core/options';
import { BrokerError, type BrokerKind } from '../errors.ts';

/** What {@link withTimeout} needs to name a call that timed out. */
export interface TimedCall {
  readonly broker: BrokerKind;
  /** The operation, e.g. `DeleteMessageBatch on <queue url>` or `commit (group billing)`. */
  readonly operation: string;
  /** The bound, in ms. */
  readonly timeoutMs: number;
  /** The option that sets it, named in the error: `requestTimeout` unless said. */
  readonly option?: string;
}

/**
 * Runs `run` and settles with it, or rejects with a
 * `BrokerError('ERR_BROKER_TIMEOUT')` after `call.timeoutMs`. On timeout the
 * signal handed to `run` aborts (with that error as its reason), so a
 * library that takes a signal gives up its request; one that does not is
 * left to finish in the background, its outcome ignored.
 */
export function withTimeout<T>(
  call: TimedCall,
  run: (signal: AbortSignal) => PromiseLike<T>,
): Promise<T> {
  const controller = new AbortController();
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => {
        const error = timeoutError(call);
        controller.abort(error);
        reject(error);
      },
      Math.min(call.timeoutMs, MAX_TIMER_MS),
    );
    // The call itself keeps the process alive while it runs; its bound must not.
    timer.unref();
    const settle =
      <A>(fn: (a: A) => void) =>
      (a: A) => {
        clearTimeout(timer);
        fn(a);
      };
    try {
      Promise.resolve(run(controller.signal)).then(settle(resolve), settle(reject));
    } catch (error) {
      settle(reject)(error);
    }
  });
}

/** The error a call that outlived its timeout rejects with. */
export function timeoutError(call: TimedCall): BrokerError {
  return new BrokerError(
    'ERR_BROKER_TIMEOUT',
    call.broker,
    `${brokerName(call.broker)} did not answer ${call.operation} within ${call.timeoutMs} ms (${call.option ?? 'requestTimeout'}); the call was abandoned`,
  );
}

function brokerName(broker: BrokerKind): string {
  const names: Record<BrokerKind, string> = {
    sqs: 'SQS',
    kafka: 'Kafka',
    rabbitmq: 'RabbitMQ',
    redis: 'Redis',
    nats: 'NATS',
  };
  return names[broker];
}

/**
 * {@link withTimeout} for a call that opens something (a connection, a
 * client): if it opens after the timeout, nobody will use it, so it is
 * closed at once (close errors ignored) instead of leaking.
 */
export function openWithTimeout<R>(
  call: TimedCall,
  open: () => PromiseLike<R>,
  close: (resource: R) => PromiseLike<unknown>,
): Promise<R> {
  let abandoned = false;
  return withTimeout(call, async () => {
    const resource = await open();
    if (abandoned) await Promise.resolve(close(resource)).catch(() => undefined);
    return resource;
  }).catch((error: unknown) => {
    abandoned = true;
    throw error;
  });
}
