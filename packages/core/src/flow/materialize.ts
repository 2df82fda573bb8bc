/**
 * Running a plan: starts one stage per layer and partition, each
 * subscribed to every stage of the layer before it, with the dispatcher
 * the next layer's routing asks for.
 */
import { SluiceError } from '../errors.ts';
import { DemandDispatcher } from '../stage/demand-dispatcher.ts';
import type { Dispatcher } from '../stage/dispatcher.ts';
import { fromIterable } from '../stage/from-iterable.ts';
import { PartitionDispatcher } from '../stage/partition-dispatcher.ts';
import type { Stage } from '../stage/stage.ts';
import type { Subscription } from '../stage/types.ts';
import { startProducerSource, type ProducerRun } from './from-producer.ts';
import { layerStage } from './layer-stage.ts';
import type { Layer, Plan } from './plan.ts';

/** The dispatcher of a stage whose consumers are the stages of `next` (none: the flow's reader). */
function dispatcherFor(next: Layer | undefined): () => Dispatcher<unknown, Subscription> {
  const routing = next?.routing;
  if (next === undefined || routing === undefined || routing.kind !== 'partition') {
    return () => new DemandDispatcher();
  }
  return () => new PartitionDispatcher({ partitions: next.stages, hash: routing.hash });
}

/**
 * Starts `plan`'s stages; returns the stages of its last layer, whose
 * dispatcher feeds `next`. Producer sources started on the way are added
 * to `runs`, to be closed at the end.
 */
export function materialize(
  plan: Plan,
  runs: ProducerRun[],
  next?: Layer,
): Stage<unknown, unknown>[] {
  const { source, layers } = plan;
  for (const layer of layers) {
    if (layer.reducer === undefined && layer.window.kind !== 'global') {
      throw new SluiceError(
        'ERR_INVALID_OPTIONS',
        `Flow: a ${layer.window.kind} window needs a reduce (or groupBy, emitAndReduce) in its layer`,
      );
    }
  }
  const first = layers[0] as Layer;
  let previous: Stage<unknown, unknown>[];
  let run: ProducerRun | undefined;
  if (source.kind === 'stages') {
    previous = [...source.stages];
  } else if (source.kind === 'flows') {
    previous = source.plans.flatMap((p) => materialize(p, runs, first));
  } else if (source.kind === 'producer') {
    run = startProducerSource(source.source);
    runs.push(run);
    previous = [...run.producers] as Stage<unknown, unknown>[];
  } else {
    previous = source.iterables.map(
      (it) =>
        fromIterable(it, { dispatcher: dispatcherFor(first)(), onCancel: 'stop' }) as Stage<
          unknown,
          unknown
        >,
    );
  }
  const started: Stage<unknown, unknown>[] = [];
  let sourceLayer: Stage<unknown, unknown>[] = [];
  layers.forEach((layer, index) => {
    const makeDispatcher = dispatcherFor(layers[index + 1] ?? next);
    const upstream = previous;
    // A producer source's first layer acks the messages its operations handled.
    const ops = run !== undefined && index === 0 ? [run.acking(layer.ops)] : layer.ops;
    const routed = layer.routing.kind === 'partition';
    const forward = layer.routing.kind === 'forward';
    previous = Array.from({ length: layer.stages }, (_, i) =>
      layerStage(
        { ...layer, ops },
        makeDispatcher(),
        forward ? [upstream[i] as Stage<unknown, unknown>] : upstream,
        i,
        routed,
      ),
    );
    if (index === 0) sourceLayer = previous;
    started.push(...previous);
  });
  run?.watch(sourceLayer, started);
  return previous;
}

/** Reads `events`, then, however the loop ends, closes the producer sources. */
export async function* closingAfter<T>(
  events: AsyncIterable<T>,
  runs: readonly ProducerRun[],
): AsyncGenerator<T> {
  try {
    yield* events;
  } finally {
    await Promise.all(runs.map((r) => r.close()));
  }
}
