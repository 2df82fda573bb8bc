/**
 * The plans a flow starts from: iterables, producer stages, a producer
 * module, or other flows merged into one layer.
 */
import { SluiceError } from '../errors.ts';
import type { ProducerModule } from '../pipeline/producer-module.ts';
import type { Stage } from '../stage/stage.ts';
import { producerSource, type FromProducerOptions } from './from-producer.ts';
import {
  newLayer,
  partitionLayer,
  sourceLayer,
  type LayerOptions,
  type PartitionOptions,
  type Plan,
  type layerSchema,
} from './plan.ts';
import type { z } from 'zod';
import type { Agrees, Assert } from '../internal/agrees.ts';

/** Options of {@link Flow.merge}: a partitioned layer, or with `mode: 'shuffle'` a shuffled one. */
export interface MergeOptions<T>
  extends PartitionOptions<T>, Pick<z.input<ReturnType<typeof layerSchema>>, 'mode'> {}

type _Agrees = Assert<Agrees<MergeOptions<unknown>, z.input<ReturnType<typeof layerSchema>>>>;

function nonEmpty(list: readonly unknown[], what: string, expected: string): void {
  if (list.length === 0) {
    throw new SluiceError('ERR_INVALID_OPTIONS', `Flow.${what}: expected at least one ${expected}`);
  }
}

export function iterablesPlan(
  iterables: readonly (Iterable<unknown> | AsyncIterable<unknown>)[],
  options: LayerOptions,
): Plan {
  nonEmpty(iterables, 'fromIterables', 'iterable');
  return {
    source: { kind: 'iterables', iterables },
    layers: [sourceLayer(options, 'Flow.fromIterables')],
  };
}

export function stagesPlan(
  stages: readonly (Stage<never, unknown> | Stage<unknown, unknown>)[],
  options: LayerOptions,
): Plan {
  nonEmpty(stages, 'fromStages', 'stage');
  return {
    source: { kind: 'stages', stages },
    layers: [sourceLayer(options, 'Flow.fromStages')],
  };
}

export function producerPlan<T>(module: ProducerModule, options: FromProducerOptions<T>): Plan {
  const source = producerSource(module, options);
  const p = source.definition.processor;
  const layer = sourceLayer({ stages: p.concurrency }, 'Flow.fromProducer');
  return {
    source: { kind: 'producer', source },
    layers: [{ ...layer, maxDemand: p.maxDemand, minDemand: p.minDemand }],
  };
}

export function mergePlan<T>(plans: readonly Plan[], options: MergeOptions<T>): Plan {
  nonEmpty(plans, 'merge', 'flow');
  const { mode, ...layerOptions } = options;
  const layer =
    mode === 'shuffle'
      ? newLayer(layerOptions, 'Flow.merge', { kind: 'demand' }, 2)
      : partitionLayer(layerOptions, 'Flow.merge');
  return { source: { kind: 'flows', plans }, layers: [layer] };
}
