/**
 * `toAsyncIterable`: consume stages with `for await` (GenStage's `stream`).
 *
 * Each iteration starts a consumer subscribed to the given producers. Its
 * `handleEvents` settles only once the loop has taken every event of the
 * chunk, so demand goes upstream at the pace of the loop body: a slow loop
 * slows the producers. Leaving the loop early stops that consumer.
 *
 * The iteration ends when every subscription has ended. If one ended
 * abnormally and its cancel mode is `permanent` or `transient`, the loop
 * throws that reason; with `temporary` it just ends.
 */
import { SluiceError, isNormalReason } from '../errors.ts';
import { Fifo } from '../internal/fifo.ts';
import type { Logger } from '../logger.ts';
import { Stage, consumer } from './stage.ts';
import { resolveSubscriptionOptions } from './options.ts';
import type { Cancellation, CancelMode, SubscriptionOptions } from './types.ts';

/** A producer to read from, alone or with its subscription options. */
export type StreamSource<T> =
  | Stage<never, T>
  | Stage<unknown, T>
  | readonly [Stage<never, T> | Stage<unknown, T>, SubscriptionOptions<T>];

/** Options of {@link toAsyncIterable}, applied to every subscription without its own. */
export interface ToAsyncIterableOptions {
  /** @defaultValue 1000 */
  readonly maxDemand?: number;
  /** @defaultValue `Math.floor(maxDemand / 2)` */
  readonly minDemand?: number;
  /** @defaultValue 'permanent' */
  readonly cancel?: CancelMode;
  readonly name?: string;
  readonly logger?: Logger;
}

/**
 * Reads the events of one or more producers with `for await`, with
 * back-pressure.
 *
 * @example
 * ```ts
 * for await (const n of toAsyncIterable(counter, { maxDemand: 100 })) {
 *   if (n > 1000) break;
 * }
 * ```
 */
export function toAsyncIterable<T>(
  sources: StreamSource<T> | readonly StreamSource<T>[],
  options: ToAsyncIterableOptions = {},
): AsyncIterable<T> {
  const list: readonly StreamSource<T>[] =
    Array.isArray(sources) && !isTuple(sources) ? sources : [sources as StreamSource<T>];
  if (list.length === 0) {
    throw new SluiceError(
      'ERR_INVALID_OPTIONS',
      'toAsyncIterable: expected at least one producer, got none',
    );
  }
  const defaults: SubscriptionOptions<T> = {
    ...(options.maxDemand !== undefined && { maxDemand: options.maxDemand }),
    ...(options.minDemand !== undefined && { minDemand: options.minDemand }),
    ...(options.cancel !== undefined && { cancel: options.cancel }),
  };
  // Bad subscription options throw here, not at the first `next()`.
  for (const source of list) {
    const own = Array.isArray(source)
      ? (source as readonly [unknown, SubscriptionOptions<T>])[1]
      : {};
    resolveSubscriptionOptions({ ...defaults, ...own });
  }
  return {
    [Symbol.asyncIterator]: () => iterate(list, defaults, options),
  };
}

/** `[stage, options]` rather than a list of stages. */
function isTuple(value: readonly unknown[]): boolean {
  return (
    value.length === 2 &&
    value[0] instanceof Stage &&
    !(value[1] instanceof Stage) &&
    !Array.isArray(value[1])
  );
}

function iterate<T>(
  sources: readonly StreamSource<T>[],
  defaults: SubscriptionOptions<T>,
  options: ToAsyncIterableOptions,
): AsyncIterator<T> {
  const queue = new Fifo<T>();
  let release: (() => void) | undefined; // settles the pending handleEvents
  let wake: (() => void) | undefined; // wakes a waiting next()
  let open = sources.length;
  let failure: { error: unknown } | undefined;
  const modes = new Map<number, CancelMode>();

  const notify = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };

  const stage = consumer<T>(
    {
      handleEvents(events) {
        for (const e of events) queue.push(e);
        notify();
        return new Promise<void>((resolve) => {
          release = resolve;
        });
      },
      handleCancel(cancellation: Cancellation, subscription) {
        open--;
        const mode = modes.get(subscription.id) ?? 'permanent';
        const abnormal = !isNormalReason(cancellation.reason);
        if (abnormal && mode !== 'temporary' && failure === undefined) {
          failure = { error: cancellation.reason };
        }
        if (open === 0 || failure !== undefined) void stageRef.stop('normal');
        notify();
      },
    },
    {
      ...(options.name !== undefined && { name: options.name }),
      ...(options.logger !== undefined && { logger: options.logger }),
    },
  );
  const stageRef = stage;

  for (const source of sources) {
    const [producer, own] = Array.isArray(source)
      ? (source as readonly [Stage<unknown, T>, SubscriptionOptions<T>])
      : [source as Stage<unknown, T>, {}];
    const merged = { ...defaults, ...own };
    const sub = stage.subscribe(producer, { ...merged, cancel: 'temporary' });
    modes.set(sub.id, merged.cancel ?? 'permanent');
  }

  const done = (): IteratorResult<T> => ({ done: true, value: undefined });

  return {
    async next(): Promise<IteratorResult<T>> {
      for (;;) {
        if (queue.length > 0) {
          const value = queue.shift() as T;
          if (queue.length === 0) {
            // The chunk is consumed: let the consumer ask for more.
            const r = release;
            release = undefined;
            r?.();
          }
          return { done: false, value };
        }
        if (failure !== undefined) {
          const error = failure.error;
          failure = undefined;
          open = 0;
          throw error instanceof Error
            ? error
            : new SluiceError('ERR_STAGE_STOPPED', `producer stopped: ${String(error)}`, {
                cause: error,
              });
        }
        if (open === 0 || stage.stopped) return done();
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    },
    async return(): Promise<IteratorResult<T>> {
      open = 0;
      release?.();
      release = undefined;
      await stage.stop('normal');
      return done();
    },
  };
}
