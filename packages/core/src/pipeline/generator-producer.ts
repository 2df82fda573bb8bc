/**
 * `generatorProducer`: synthetic messages, for demos, load tests and the
 * embedded default of `npm start`. No broker needed.
 */
import type { z } from 'zod';
import { parseOptions, zFunction } from '../options/parse.ts';
import { optionBlocks } from '../options/blocks.ts';
import { lazily, zod } from '../options/zod.ts';
import type { Agrees, Assert } from '../internal/agrees.ts';
import { Message, type Acknowledger } from './message.ts';
import type { ProducerContext, ProducerModule } from './producer-module.ts';

/** How much unused rate a paced generator may save up, in ms of its rate. */
const BURST_MS = 200;

/** {@link generatorProducer}'s options (reused by config files). */
export const generatorSchema = lazily(() => {
  const z = zod();
  const { nonNegativeInt } = optionBlocks();
  return z
    .object({
      count: nonNegativeInt.optional().meta({
        description:
          'How many messages in all, shared among the producer instances. Endless when unset.',
      }),
      rate: z
        .number({ error: 'expected a positive number' })
        .positive({ error: 'expected a positive number' })
        .finite({ error: 'expected a positive number' })
        .optional()
        .meta({
          description:
            'At most this many messages per second, per pipeline (each instance takes its share). As fast as consumers ask when unset.',
        }),
      data: zFunction<(n: number) => unknown>().optional().meta({
        description: "Builds message `n`'s data; `{ n }` when unset.",
      }),
      onAck: zFunction<(successful: number, failed: number) => void>().optional().meta({
        description: 'Called with the counts of messages acked, for progress reporting.',
      }),
    })
    .strict();
});

/** Options of {@link generatorProducer}. `D` is the type of each message's data. */
export interface GeneratorOptions<D> extends Omit<
  z.input<ReturnType<typeof generatorSchema>>,
  'data'
> {
  /** Builds message `n`'s data. */
  readonly data?: (n: number) => D;
}

type _Agrees = Assert<
  Agrees<GeneratorOptions<unknown>, z.input<ReturnType<typeof generatorSchema>>>
>;

/**
 * A producer of synthetic messages `0, 1, 2, …`: `count` of them (or
 * endless), as fast as asked or at `rate` per second. Its messages are
 * `Message<D>` (`{ n }` unless `data` says otherwise) and take no ack
 * options.
 *
 * @example
 * ```ts
 * createPipeline({ name: 'demo', producer: { module: generatorProducer({ count: 1_000_000 }) }, … });
 * ```
 */
export function generatorProducer<D = { n: number }>(
  options: GeneratorOptions<D> = {},
): ProducerModule<D, Record<string, unknown>, never> {
  const o = parseOptions(generatorSchema(), options, 'generator options');
  const make = options.data ?? ((n: number) => ({ n }) as D);
  const acknowledger: Acknowledger = {
    ack: (_ref, successful, failed) => options.onAck?.(successful.length, failed.length),
  };
  return {
    init(context: ProducerContext) {
      const { index, concurrency } = context;
      // Instance i emits n = i, i + concurrency, i + 2·concurrency, …
      const total = o.count;
      let next = index;
      const left = (): number =>
        total === undefined ? Infinity : Math.max(0, Math.ceil((total - next) / concurrency));
      const build = (n: number): Message<D> => new Message({ data: make(n), id: n, acknowledger });
      if (o.rate === undefined) {
        return {
          handleDemand(demand: number) {
            const count = Math.min(demand, left());
            const out = new Array<Message<D>>(count);
            for (let i = 0; i < count; i++, next += concurrency) out[i] = build(next);
            return out;
          },
        };
      }
      // Paced: a token bucket that fills with this instance's share of the
      // rate as time passes (up to BURST_MS worth). Demand is served from it
      // at once; what it cannot serve yet is emitted by a timer set for when
      // the next message is due, with everything due by then. Serving only
      // on a fixed 100 ms tick capped the rate at one window of demand per
      // tick (400 messages: 4,000/s whatever was asked).
      const perMs = o.rate / concurrency / 1000;
      const burst = Math.max(perMs * BURST_MS, 1);
      let credit = 0;
      let last = Date.now();
      let owed = 0;
      let draining = false;
      let timer: NodeJS.Timeout | undefined;
      const take = (): Message<D>[] => {
        const now = Date.now();
        credit = Math.min(credit + (now - last) * perMs, burst);
        last = now;
        const count = Math.min(Math.floor(credit), owed, left());
        credit -= count;
        owed -= count;
        const out = new Array<Message<D>>(count);
        for (let i = 0; i < count; i++, next += concurrency) out[i] = build(next);
        return out;
      };
      const schedule = (): void => {
        if (timer !== undefined || draining || owed === 0 || left() === 0) return;
        timer = setTimeout(tick, Math.max(1, Math.ceil((1 - credit) / perMs)));
      };
      const tick = (): void => {
        timer = undefined;
        const out = take();
        if (out.length > 0) context.emit(out);
        schedule();
      };
      return {
        handleDemand(demand: number) {
          if (draining) return [];
          owed += demand;
          const out = take();
          schedule();
          return out;
        },
        prepareForDraining() {
          draining = true;
          clearTimeout(timer);
          timer = undefined;
        },
        terminate() {
          clearTimeout(timer);
        },
      };
    },
  };
}
