/** Shared helpers of the NATS integration tests. */
import { createPipeline, type Pipeline, type PipelineDefinition } from '@sluice/core';
import { natsProducer, type NatsProducerOptions } from '../../src/nats/index.ts';
import type { NatsTestStream } from '../../src/nats/testing.ts';

/** Waits until `condition` holds, polling every 20 ms; rejects after `ms`. */
export async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
  ms = 20_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A pipeline reading `s` through `natsProducer` with `options`. */
export function natsPipeline(
  s: NatsTestStream,
  options: Partial<NatsProducerOptions>,
  definition: Omit<PipelineDefinition<unknown>, 'name' | 'producer'>,
): Pipeline {
  return createPipeline({
    name: `nats-${s.stream}`,
    producer: {
      module: natsProducer({ servers: s.url, stream: s.stream, consumer: s.consumer, ...options }),
    },
    ...definition,
  });
}
