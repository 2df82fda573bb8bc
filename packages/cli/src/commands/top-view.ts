/**
 * `sluice top`'s model: turns the admin server's `/stats` body into the
 * {@link ViewSnapshot} the live view of `sluice run` draws, keeping a
 * smoothed rate per counter between reads.
 */
import { RateMeter } from '../view/rate.ts';
import type { CountedLine, StageView, ViewSnapshot } from '../view/snapshot.ts';

/** The parts of `/stats` that `sluice top` reads (see @sluice/admin). */
export interface AdminStats {
  readonly pipeline: string;
  readonly state: string;
  readonly paused: boolean;
  readonly ready: boolean;
  readonly live: boolean;
  readonly received: number;
  readonly successful: number;
  readonly failed: number;
  readonly inFlight: number;
  readonly stuck: readonly { stage: string; holding: number; stalledMs: number }[];
  readonly backlog: readonly { destination: string; partition?: number; waiting: number }[];
  readonly stages?: readonly {
    name: string;
    kind: 'producer' | 'processor' | 'batcher';
    concurrency: number;
    handled: number;
    inFlight: number;
    batches?: number;
  }[];
}

/** Reads of `/stats` in, view snapshots out; one per server watched. */
export class TopModel {
  readonly #started: number;
  readonly #acked = new RateMeter();
  readonly #stages = new Map<string, { messages: RateMeter; batches: RateMeter }>();

  constructor(startedMs: number) {
    this.#started = startedMs;
  }

  /** The view of `stats`, read at `nowMs`. */
  view(stats: AdminStats, nowMs: number): ViewSnapshot {
    const perSecond = this.#acked.sample(nowMs, stats.successful + stats.failed);
    const stages: StageView[] = (stats.stages ?? []).map((s) => {
      let meters = this.#stages.get(s.name);
      if (meters === undefined) {
        meters = { messages: new RateMeter(), batches: new RateMeter() };
        this.#stages.set(s.name, meters);
      }
      const key = s.name.slice(s.name.lastIndexOf('.') + 1);
      if (s.kind === 'producer') {
        return { kind: 'producers', name: 'producers', concurrency: s.concurrency, inFlight: 0 };
      }
      const messages = meters.messages.sample(nowMs, s.handled);
      return {
        kind: s.kind,
        name: key,
        concurrency: s.concurrency,
        inFlight: s.inFlight,
        perSecond: messages,
        ...(s.kind === 'batcher' && {
          batchesPerSecond: meters.batches.sample(nowMs, s.batches ?? 0),
        }),
      };
    });
    const waiting = stats.backlog.reduce((n, b) => n + b.waiting, 0);
    const notes: CountedLine[] = stats.stuck.map((s) => ({
      line: `stuck: ${s.stage} holds ${s.holding} for ${Math.round(s.stalledMs / 1000)} s`,
      count: 1,
    }));
    if (!stats.ready && stats.state === 'running') {
      notes.push({ line: 'not ready (see /readyz for the reasons)', count: 1 });
    }
    const state = [
      stats.state,
      ...(stats.paused ? ['paused'] : []),
      ...(stats.live ? [] : ['NOT LIVE']),
    ].join(', ');
    return {
      name: stats.pipeline,
      state,
      elapsedMs: nowMs - this.#started,
      received: stats.received,
      acked: stats.successful,
      failed: stats.failed,
      inFlight: stats.inFlight,
      perSecond,
      stages,
      ...(stats.backlog.length > 0 && {
        lag: { messages: waiting, partitions: stats.backlog.length },
      }),
      failures: [],
      logs: notes,
    };
  }
}
