/**
 * A pipeline's stages as `pipeline.topology()` lists them, named as their
 * telemetry names them: `<pipeline>.producer`, `<pipeline>.processor.<key>`
 * and `<pipeline>.batcher.<key>`.
 */
import type { ResolvedDefinition } from './definition.ts';
import type { Topology } from './types.ts';

/** Concurrency in force now, where `pipeline.resize` changed it. */
export interface LiveConcurrency {
  readonly processors?: number | undefined;
  readonly batchers?: readonly { readonly key: string; readonly concurrency: number }[];
}

/** The topology of a validated definition, with the concurrency in force. */
export function topologyOf(d: ResolvedDefinition<unknown>, live: LiveConcurrency = {}): Topology {
  return {
    producers: [{ name: `${d.name}.producer`, concurrency: d.producer.concurrency }],
    processors: [
      {
        name: `${d.name}.processor.${d.processor.key}`,
        processorKey: d.processor.key,
        concurrency: live.processors ?? d.processor.concurrency,
      },
    ],
    batchers: d.batchers.map((b) => ({
      name: `${d.name}.batcher.${b.key}`,
      batcherKey: b.key,
      concurrency: live.batchers?.find((l) => l.key === b.key)?.concurrency ?? b.concurrency,
      batchSize: typeof b.batchSize === 'number' ? b.batchSize : 'custom',
      batchTimeout: b.batchTimeout,
    })),
  };
}
