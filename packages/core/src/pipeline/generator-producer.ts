/**
 * `generatorProducer`: synthetic messages, for demos, load tests and the
 * embedded default of `npm start`. No broker needed.
 */
import { z } from 'zod';
import { parseOptions, zFunction } from '../options/parse.ts';
import { nonNegativeInt } from '../options/blocks.ts';
import type { Agrees, Assert } from '../internal/agrees.ts';
import { Message, type Acknowledger } from './message.ts';
import type { ProducerContext, ProducerModule } from './producer-module.ts';

/** {@link generatorProducer}'s options (reused by config files). */
export const generatorSchema = z
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

/** Options of {@link generatorProducer}. `D` is the type of each message's data. */
export interface GeneratorOptions<D> extends Omit<z.input<typeof generatorSchema>, 'data'> {
  /** Builds message `n`'s data. */
  readonly data?: (n: number) => D;
}

type _Agrees = Assert<Agrees<GeneratorOptions<unknown>, z.input<typeof generatorSchema>>>;

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
  const o = parseOptions(generatorSchema, options, 'generator options');
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
      // Paced: every tick, emit this instance's share of the rate, within demand.
      const tickMs = 100;
      const perTick = (o.rate / concurrency) * (tickMs / 1000);
      let owed = 0;
      let credit = 0;
      let timer: NodeJS.Timeout | undefined;
      const tick = (): void => {
        credit = Math.min(credit + perTick, Math.max(perTick, 1) * 2);
        const count = Math.min(Math.floor(credit), owed, left());
        if (count > 0) {
          credit -= count;
          owed -= count;
          const out: Message<D>[] = [];
          for (let i = 0; i < count; i++, next += concurrency) out.push(build(next));
          context.emit(out);
        }
        timer = left() > 0 ? setTimeout(tick, tickMs) : undefined;
      };
      timer = setTimeout(tick, tickMs);
      return {
        handleDemand(demand: number) {
          owed += demand;
        },
        prepareForDraining() {
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
