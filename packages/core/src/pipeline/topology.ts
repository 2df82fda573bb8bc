/**
 * A pipeline's stages as `pipeline.topology()` lists them, named as their
 * telemetry names them: `<pipeline>.producer`, `<pipeline>.processor.<key>`
 * and `<pipeline>.batcher.<key>`.
 */
import type { ResolvedDefinition } from './definition.ts';
import type { Topology } from './types.ts';

/** The topology of a validated definition. */
export function topologyOf(d: ResolvedDefinition<unknown>): Topology {
  return {
    producers: [{ name: `${d.name}.producer`, concurrency: d.producer.concurrency }],
    processors: [
      {
        name: `${d.name}.processor.${d.processor.key}`,
        processorKey: d.processor.key,
        concurrency: d.processor.concurrency,
      },
    ],
    batchers: d.batchers.map((b) => ({
      name: `${d.name}.batcher.${b.key}`,
      batcherKey: b.key,
      concurrency: b.concurrency,
      batchSize: typeof b.batchSize === 'number' ? b.batchSize : 'custom',
      batchTimeout: b.batchTimeout,
    })),
  };
}
