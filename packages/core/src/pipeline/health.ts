/**
 * Health of a running pipeline: readiness (may it take traffic?) and
 * liveness (is it making progress?).
 *
 * Liveness is measured without a clock call per message: each processor
 * and batcher keeps a {@link StageProgress}, two integers bumped as it
 * works. A watchdog samples them every `stallTimeout / 4` (at most once a
 * second) and on every `health()` call; a stage holding messages whose
 * counter has not moved since `stallTimeout` ago is reported stuck, with
 * its name and for how long. A stall is therefore seen between
 * `stallTimeout` and `stallTimeout` plus one sampling period after the
 * last progress.
 */

/** Work counters of one stage (a processor group or a batcher's batch processors). */
export class StageProgress {
  readonly stage: string;
  /** Messages the stage holds: handed to it and not yet acked or passed on. */
  holding = 0;
  /** Bumped whenever the stage takes, finishes or passes on a message. */
  ticks = 0;
  constructor(stage: string) {
    this.stage = stage;
  }
  /** The stage took `n` messages. */
  take(n: number): void {
    this.holding += n;
    this.ticks++;
  }
  /** The stage let go of `n` messages (acked them or passed them on). */
  release(n: number): void {
    this.holding -= n;
    this.ticks++;
  }
}

/** A stage that holds messages and has not progressed for at least `stallTimeout`. */
export interface StuckStage {
  /** The stage's name, e.g. `orders.processor.default` or `orders.batcher.s3`. */
  readonly stage: string;
  /** How many messages it holds. */
  readonly holding: number;
  /** Milliseconds since it last progressed. */
  readonly stalledMs: number;
}

/** What `pipeline.health()` returns. */
export interface PipelineHealth {
  /** Ready for traffic: started, every producer that can tell is connected, not draining. */
  readonly ready: boolean;
  /** Alive: no stage holding messages without progress for `stallTimeout`. */
  readonly live: boolean;
  /** Why it is not ready or not live, one sentence each; empty when healthy. */
  readonly reasons: readonly string[];
  /** The stuck stages, if any. */
  readonly stuck: readonly StuckStage[];
  /** The pipeline's state. */
  readonly state: string;
  /** True while paused by `pipeline.pause()`. */
  readonly paused: boolean;
}

interface Watched {
  readonly progress: StageProgress;
  lastTicks: number;
  /** When its counter was last seen to move (or it was last seen idle). */
  quietSince: number;
}

/** Samples the stages' counters and names the stuck ones. */
export class StallWatch {
  readonly #watched: Watched[] = [];
  readonly #stallTimeout: number;
  readonly #now: () => number;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(stallTimeout: number, now: () => number = Date.now) {
    this.#stallTimeout = stallTimeout;
    this.#now = now;
  }

  /** Adds a stage to watch and returns its counters. */
  watch(stage: string): StageProgress {
    const progress = new StageProgress(stage);
    this.#watched.push({ progress, lastTicks: 0, quietSince: this.#now() });
    return progress;
  }

  /** Stops watching the stage named `stage` (a processor removed by a resize, once it stopped). */
  forget(stage: string): void {
    const i = this.#watched.findIndex((w) => w.progress.stage === stage);
    if (i >= 0) this.#watched.splice(i, 1);
  }

  /** Starts sampling in the background (the timer never keeps the process alive). */
  start(): void {
    if (this.#timer !== undefined) return;
    const period = Math.min(1000, Math.max(10, this.#stallTimeout / 4));
    this.#timer = setInterval(() => this.sample(), period);
    this.#timer.unref?.();
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Reads every counter: a stage that moved, or holds nothing, is not stalled. */
  sample(): void {
    const now = this.#now();
    for (const w of this.#watched) {
      if (w.progress.ticks !== w.lastTicks || w.progress.holding <= 0) {
        w.lastTicks = w.progress.ticks;
        w.quietSince = now;
      }
    }
  }

  /** The stages stalled for `stallTimeout` or longer, as of now. */
  stuck(): StuckStage[] {
    this.sample();
    const now = this.#now();
    const out: StuckStage[] = [];
    for (const w of this.#watched) {
      const stalledMs = now - w.quietSince;
      if (w.progress.holding > 0 && stalledMs >= this.#stallTimeout) {
        out.push({ stage: w.progress.stage, holding: w.progress.holding, stalledMs });
      }
    }
    return out;
  }
}

/** What {@link assessHealth} reads. */
export interface HealthInputs {
  readonly name: string;
  readonly state: string;
  readonly draining: boolean;
  readonly paused: boolean;
  /** Each producer instance's {@link ProducerInstance.connected}, undefined where it cannot tell. */
  readonly connected: readonly (boolean | undefined)[];
  readonly stuck: readonly StuckStage[];
}

/** Turns what the pipeline knows into a {@link PipelineHealth}, with a reason for each failing check. */
export function assessHealth(i: HealthInputs): PipelineHealth {
  const reasons: string[] = [];
  if (i.state !== 'running') reasons.push(`pipeline ${i.name} is ${i.state}, not running`);
  else if (i.draining) reasons.push(`pipeline ${i.name} is draining`);
  const down = i.connected.flatMap((c, index) => (c === false ? [index] : []));
  if (down.length > 0) {
    reasons.push(`producer instance ${down.join(', ')} of ${i.name} not connected to its broker`);
  }
  const ready = reasons.length === 0;
  for (const s of i.stuck) {
    reasons.push(
      `${s.stage} has held ${s.holding} message(s) without progress for ${Math.round(s.stalledMs)} ms (stallTimeout)`,
    );
  }
  return {
    ready,
    live: i.stuck.length === 0,
    reasons,
    stuck: i.stuck,
    state: i.state,
    paused: i.paused,
  };
}
