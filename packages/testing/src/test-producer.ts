/** A producer module that emits nothing: drive the pipeline with testMessage, testBatch or pushMessages. */
import type { ProducerModule } from '@sluice/core';

/**
 * A producer that never emits on its own (Broadway's DummyProducer). Use it
 * for pipelines under test, and push messages in with `testMessage`,
 * `testBatch` or `pushMessages`.
 *
 * @example
 * ```ts
 * const pipeline = createPipeline({ ...definition, producer: { module: testProducer() } });
 * ```
 */
export function testProducer(): ProducerModule {
  return {
    init: () => ({ handleDemand: () => undefined }),
  };
}
