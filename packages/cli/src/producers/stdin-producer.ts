/** The `stdin` producer: standard input's lines, as they come. */
import { createInterface } from 'node:readline';
import type { ProducerModule } from '@sluice/core';
import { lineProducer, type LineEvents, type LineFormat } from './line-producer.ts';

export function stdinProducer(
  options: LineEvents & { readonly format?: LineFormat } = {},
): ProducerModule {
  return lineProducer(
    {
      skip: 0,
      open: () =>
        createInterface({ input: process.stdin, crlfDelay: Infinity })[Symbol.asyncIterator](),
    },
    options.format ?? 'lines',
    // Standard input cannot be re-read: acking has nothing to record.
    { ack: () => undefined },
    options,
  );
}
