/**
 * `@sluice/core/flow`: parallel, partitioned computations over the stage
 * core (Elixir's Flow), and the windows that cut their reductions.
 */

// The builder
export { Flow } from './flow.ts';

// Options of its sources, layers and joins
export type { FromProducerOptions } from './from-producer.ts';
export type { LayerOptions, PartitionOptions, TriggerResult } from './plan.ts';
export type { MergeOptions } from './sources.ts';
export type { JoinMode, JoinOptions } from './join.ts';

// Windows and their triggers
export { Window, type TriggerInfo, type TriggerKind, type WindowSpec } from './window.ts';
