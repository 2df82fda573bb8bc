/**
 * Stage-core telemetry on `node:diagnostics_channel`. Publishing costs one
 * `hasSubscribers` check when nobody listens.
 */
import diagnostics from 'node:diagnostics_channel';

/** Channel names of the stage core. */
export const stageChannels = {
  /** A producer dropped events (full buffer, or a partition hash that returned none). */
  discarded: 'sluice:stage:discarded',
} as const;

/** Payload of `sluice:stage:discarded`. */
export interface DiscardedEvent {
  readonly stage: string;
  readonly count: number;
  readonly reason: string;
}

const discarded = diagnostics.channel(stageChannels.discarded);

export function publishDiscarded(event: DiscardedEvent): void {
  if (discarded.hasSubscribers) discarded.publish(event);
}
