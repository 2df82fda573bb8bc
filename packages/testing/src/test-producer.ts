/** A producer module that emits nothing: drive the pipeline with testMessage, testBatch or pushMessages. */
import type { AckOptions, ProducerModule } from '@sluice/core';

/**
 * A producer that never emits on its own (Broadway's DummyProducer). Use it
 * for pipelines under test, and push messages in with `testMessage`,
 * `testBatch` or `pushMessages`. Give it the data (and metadata, ack
 * options) type of the producer it stands in for, so the handlers of a
 * typed definition keep their types: `testProducer<Order>()`.
 *
 * @example
 * ```ts
 * const pipeline = createPipeline({ ...definition, producer: { module: testProducer() } });
 * ```
 */
export function testProducer<
  D = unknown,
  M extends object = Record<string, unknown>,
  A extends object = AckOptions,
>(): ProducerModule<D, M, A> {
  return {
    init: () => ({ handleDemand: () => undefined }),
  };
}
