/** The `stdin` producer: standard input's lines, as they come. */
import { createInterface } from 'node:readline';
import type { ProducerModule } from '@sluice/core';
import { lineProducer, type LineEvents } from './line-producer.ts';
import type { StdinOptions } from './options.ts';

/** The `stdin` producer, with its options resolved by the pipeline file's schema. */
export function stdinProducer(options: StdinOptions & LineEvents): ProducerModule {
  return lineProducer(
    {
      skip: 0,
      open: () =>
        createInterface({ input: process.stdin, crlfDelay: Infinity })[Symbol.asyncIterator](),
    },
    options.format,
    // Standard input cannot be re-read: acking has nothing to record.
    { ack: () => undefined },
    options,
  );
}
