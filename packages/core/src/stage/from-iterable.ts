/**
 * `fromIterable`: a producer over a sync or async iterable (GenStage's
 * `from_enumerable`). It pulls only as many items as consumers ask for, and
 * stops normally once the iterable is exhausted and everything it emitted
 * has been dispatched.
 *
 * A sync iterable is pulled inside `handleDemand`. An async iterable is
 * pulled by a pump outside the mailbox, so a slow source never blocks the
 * stage: items pulled within one event-loop turn are emitted together, and
 * the pump pauses whenever demand runs out.
 */
import type { z } from 'zod';
import { lazily, zod } from '../options/zod.ts';
import { parseOptions } from '../options/parse.ts';
import type { Logger } from '../logger.ts';
import type { Dispatcher } from './dispatcher.ts';
import { producer, type Stage } from './stage.ts';
import type { ProducerOptions, Subscription } from './types.ts';
import type { Agrees, Assert } from '../internal/agrees.ts';

/** {@link fromIterable}'s options. */
export const fromIterableSchema = lazily(() => {
  const z = zod();
  return z
    .object({
      name: z.string().min(1).optional().meta({ description: 'A name for logs and telemetry.' }),
      logger: z.custom<Logger>().optional().meta({
        description: 'A pino-compatible logger; a quiet pino logger on stderr when unset.',
      }),
      dispatcher: z.custom<Dispatcher<unknown, Subscription>>().optional().meta({
        description: 'How items are shared among consumers; a new DemandDispatcher when unset.',
      }),
      onCancel: z.enum(['continue', 'stop']).default('continue').meta({
        description:
          '`continue` keeps the producer running when its consumers cancel; `stop` stops it once the last one has.',
      }),
    })
    .strict();
});

/** Options of {@link fromIterable}. `T` is the type of the items. */
export interface FromIterableOptions<T> extends Omit<
  z.input<ReturnType<typeof fromIterableSchema>>,
  'dispatcher'
> {
  /** How items are shared among consumers. */
  readonly dispatcher?: Dispatcher<T, Subscription> | undefined;
}

type _Agrees = Assert<
  Agrees<FromIterableOptions<unknown>, z.input<ReturnType<typeof fromIterableSchema>>>
>;

const DONE = Symbol('done');
const EMIT = Symbol('emit');
const FAIL = Symbol('fail');
type PumpMessage =
  | { readonly kind: typeof EMIT; readonly items: unknown[] }
  | { readonly kind: typeof FAIL; readonly error: unknown }
  | typeof DONE;

/**
 * Starts a producer that emits the items of `source`, then stops.
 *
 * @example
 * ```ts
 * const words = fromIterable(['a', 'b', 'c']);
 * for await (const word of toAsyncIterable(words)) console.log(word);
 * ```
 */
export function fromIterable<T>(
  source: Iterable<T> | AsyncIterable<T>,
  options: FromIterableOptions<T> = {},
): Stage<never, T> {
  const parsed = parseOptions(fromIterableSchema(), options, 'fromIterable options');
  const producerOptions: ProducerOptions<T> = {
    ...(parsed.name !== undefined && { name: parsed.name }),
    ...(options.logger !== undefined && { logger: options.logger }),
    ...(options.dispatcher !== undefined && { dispatcher: options.dispatcher }),
  };
  const stopOnCancel = parsed.onCancel === 'stop';
  let consumers = 0;
  const counting = {
    handleSubscribe(): void {
      consumers++;
    },
    handleCancel(_c: unknown, _s: Subscription, stage: Stage<never, T>): void {
      consumers--;
      if (stopOnCancel && consumers === 0) void stage.stop('normal');
    },
  };

  if (isAsyncIterable(source)) {
    const iterator = source[Symbol.asyncIterator]();
    let demand = 0;
    let pumping = false;
    let finished = false;
    let batch: unknown[] = [];
    let flushScheduled = false;
    let self: Stage<never, T> | undefined;

    const flush = (): void => {
      flushScheduled = false;
      if (batch.length === 0 || self === undefined) return;
      const items = batch;
      batch = [];
      self.send({ kind: EMIT, items } satisfies PumpMessage);
    };
    const pump = async (stage: Stage<never, T>): Promise<void> => {
      pumping = true;
      try {
        while (demand > 0 && !finished) {
          const step = await iterator.next();
          if (step.done === true) {
            finished = true;
            break;
          }
          demand--;
          batch.push(step.value);
          if (!flushScheduled) {
            flushScheduled = true;
            setImmediate(flush);
          }
        }
      } catch (error) {
        finished = true;
        flush();
        stage.send({ kind: FAIL, error } satisfies PumpMessage);
        return;
      } finally {
        pumping = false;
      }
      if (demand === 0 || finished) flush();
      if (finished) stage.infoAfterBuffered(DONE);
    };

    return producer<T>(
      {
        ...counting,
        init(stage) {
          self = stage;
        },
        handleDemand(incoming, stage) {
          demand += incoming;
          if (!pumping && !finished) void pump(stage);
        },
        handleInfo(message, stage) {
          const m = message as PumpMessage;
          if (m === DONE) {
            void stage.stop('normal');
            return;
          }
          if (m.kind === FAIL) throw m.error;
          return m.items as T[];
        },
        async terminate() {
          finished = true;
          await iterator.return?.();
        },
      },
      producerOptions,
    );
  }

  const iterator = source[Symbol.iterator]();
  let finished = false;
  return producer<T>(
    {
      ...counting,
      handleDemand(incoming, stage) {
        if (finished) return;
        const events: T[] = [];
        while (events.length < incoming) {
          const step = iterator.next();
          if (step.done === true) {
            finished = true;
            stage.infoAfterBuffered(DONE);
            break;
          }
          events.push(step.value);
        }
        return events;
      },
      handleInfo(message, stage) {
        if (message === DONE) void stage.stop('normal');
      },
      terminate() {
        if (!finished) iterator.return?.();
      },
    },
    producerOptions,
  );
}

function isAsyncIterable<T>(source: Iterable<T> | AsyncIterable<T>): source is AsyncIterable<T> {
  return typeof (source as AsyncIterable<T>)[Symbol.asyncIterator] === 'function';
}
