/**
 * How the builder's calls change a plan: each returns a new plan and
 * leaves the one it was given as it was, so a flow can be extended twice.
 */
import { SluiceError } from '../errors.ts';
import type { OpFactory } from './ops.ts';
import { copyLayers, type Layer, type Plan, type Reducer } from './plan.ts';
import type { WindowSpec } from './window.ts';

/** The plan's last layer. */
export function lastLayer(plan: Plan): Layer {
  return plan.layers[plan.layers.length - 1] as Layer;
}

/** Fuses an operation into the last layer (or, after a reduce, a new layer reading it). */
export function withOp(plan: Plan, factory: OpFactory): Plan {
  const layers = copyLayers(plan.layers);
  const last = layers[layers.length - 1] as Layer;
  if (last.reducer !== undefined) {
    // Operations after a reduce apply to what it emits: a new layer of the
    // same shape, each stage reading its own partition's output.
    layers.push({ ...last, routing: { kind: 'forward' }, ops: [factory], reducer: undefined });
  } else {
    last.ops.push(factory);
  }
  return { source: plan.source, layers };
}

/** The plan with its last layer's reducer replaced (`what` names the call in errors). */
export function withReducer(plan: Plan, what: string, change: (reducer: Reducer) => Reducer): Plan {
  const reducer = lastLayer(plan).reducer;
  if (reducer === undefined) {
    throw new SluiceError('ERR_INVALID_OPTIONS', `Flow.${what}: call it after reduce`);
  }
  const layers = copyLayers(plan.layers);
  (layers[layers.length - 1] as Layer).reducer = change(reducer);
  return { source: plan.source, layers };
}

/** Starts a reduce in the last layer, or in a new one if that layer already reduces. */
export function withReduce(plan: Plan, reducer: Reducer): Plan {
  const layers = copyLayers(plan.layers);
  const last = layers[layers.length - 1] as Layer;
  if (last.reducer !== undefined) {
    layers.push({ ...last, routing: { kind: 'forward' }, ops: [], reducer: undefined });
  }
  (layers[layers.length - 1] as Layer).reducer = reducer;
  return { source: plan.source, layers };
}

/** Appends a layer. */
export function withLayer(plan: Plan, layer: Layer): Plan {
  return { source: plan.source, layers: [...plan.layers, layer] };
}

/** Sets how the last layer's reduce splits events into windows. */
export function withWindow(plan: Plan, window: WindowSpec): Plan {
  const layers = copyLayers(plan.layers);
  (layers[layers.length - 1] as Layer).window = window;
  return { source: plan.source, layers };
}
