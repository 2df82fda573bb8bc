/**
 * Polls a broker for backlog every `intervalMs`, but only while someone
 * listens (`reporter.wanted()`): with nobody listening a tick costs one
 * check and makes no call. One poll at a time; a failing poll is logged
 * once at warn level until one succeeds again.
 */
import type { BacklogReporter, BacklogSample, Logger } from '@sluice/core';

/** How often a producer polls its broker for backlog while someone listens. */
export const BACKLOG_INTERVAL_MS = 5000;

/** What {@link startBacklogPoller} needs. */
export interface BacklogPollerOptions {
  readonly reporter: BacklogReporter;
  /** One measurement: the samples to report. */
  poll(): Promise<readonly BacklogSample[]>;
  readonly logger: Logger;
  /** Named in the warning when a poll fails, e.g. `SQS queue orders`. */
  readonly what: string;
  readonly intervalMs?: number;
}

/** Starts polling (a first tick at once); returns the function that stops it. */
export function startBacklogPoller(o: BacklogPollerOptions): () => void {
  let busy = false;
  let failing = false;
  let stopped = false;
  const tick = async (): Promise<void> => {
    if (busy || stopped || !o.reporter.wanted()) return;
    busy = true;
    try {
      const samples = await o.poll();
      if (stopped) return;
      for (const s of samples) o.reporter.report(s);
      failing = false;
    } catch (error) {
      if (!stopped && !failing) {
        o.logger.warn({ err: error }, `could not read the backlog of ${o.what}; retrying`);
      }
      failing = true;
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), o.intervalMs ?? BACKLOG_INTERVAL_MS);
  timer.unref();
  void tick();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
