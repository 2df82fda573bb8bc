/**
 * The Kafka sink's options: one zod schema, each option with its default
 * and description. The connection options (`brokers`, `clientId`, `ssl`,
 * `sasl`) are the Kafka producer's own, picked from its schema.
 */
import { name, parseOptions, positiveInt } from '@sluice/core/options';
import { kafkaClientLibrary, kafkaOptionsObject } from '@sluice/producers/kafka/options';
import { z } from 'zod';

/** The Kafka sink's options as written. */
export const kafkaSinkOptionsObject = kafkaOptionsObject
  .pick({ brokers: true, clientId: true, ssl: true, sasl: true })
  .extend({
    topic: name.meta({ description: 'The topic every message is published to.' }),
    key: name.optional().meta({
      description:
        "A dotted path into each message's data (parsed as JSON) whose value is the record key, e.g. `customer.id`: records with one key go to one partition, in order. Without it, records have no key.",
    }),
    client: kafkaClientLibrary.default('platformatic').meta({
      description:
        "The client library: `'platformatic'` (@platformatic/kafka) or `'kafkajs'`. Both publish through an idempotent producer with `acks: all`.",
    }),
    exactlyOnce: z.boolean().default(false).meta({
      description:
        "Exactly-once from a Kafka source: each message's record and its consumed offset are committed in one Kafka transaction, once per the source's `commitInterval`, so a reader with `isolation.level=read_committed` sees every input record's output once, even after a crash. The messages must come from `kafkaProducer` (classic group protocol); docs/sinks.md explains the rules.",
    }),
    retries: z
      .int({ error: 'expected an integer from 1 to 1000' })
      .min(1, { error: 'expected an integer from 1 to 1000' })
      .max(1000, { error: 'expected an integer from 1 to 1000' })
      .default(5)
      .meta({
        description:
          'How often the client retries a send the brokers did not confirm before the sink fails its records; the producer is idempotent, so a retry writes no duplicate.',
      }),
    maxSendBytes: positiveInt.default(900_000).meta({
      description:
        "The most bytes of record values and keys one send carries: a bigger batch is sent in several sends, in order, each under the topic's `max.message.bytes` (1 MB by default). When a send fails, its records and those after it fail; those before are written.",
    }),
  })
  .strict();

/** The options {@link kafkaSink} takes. */
export type KafkaSinkOptions = z.input<typeof kafkaSinkOptionsObject>;
/** The options after defaults. */
export type ResolvedKafkaSinkOptions = z.output<typeof kafkaSinkOptionsObject>;

/** Parses the options, throwing an `InvalidOptionsError` naming each bad one. */
export function parseKafkaSinkOptions(input: unknown): ResolvedKafkaSinkOptions {
  return parseOptions(kafkaSinkOptionsObject, input, 'kafka sink options');
}
