/** Wires process signals to a pipeline's graceful stop. */
import type { Pipeline, StopReport } from './pipeline.ts';

/** Options of {@link stopOnSignals}. */
export interface StopOnSignalsOptions {
  /** @defaultValue ['SIGTERM', 'SIGINT'] */
  readonly signals?: readonly NodeJS.Signals[];
  /** Called once the pipeline has stopped after a signal, e.g. to exit. */
  readonly onStopped?: (report: StopReport, signal: NodeJS.Signals) => void;
  /**
   * Called on a second signal while draining, to stop without waiting.
   * @defaultValue exits the process with code 130
   */
  readonly onForce?: (signal: NodeJS.Signals) => void;
}

/**
 * The first SIGTERM or SIGINT drains the pipeline (`pipeline.stop()`); a
 * second one forces the process to exit. Returns a function that removes
 * the handlers.
 *
 * @example
 * ```ts
 * await pipeline.start();
 * stopOnSignals(pipeline, { onStopped: (report) => process.exit(report.unacked === 0 ? 0 : 1) });
 * ```
 */
export function stopOnSignals(pipeline: Pipeline, options: StopOnSignalsOptions = {}): () => void {
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  let received = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (received) {
      (options.onForce ?? (() => process.exit(130)))(signal);
      return;
    }
    received = true;
    void pipeline.stop().then((report) => options.onStopped?.(report, signal));
  };
  for (const s of signals) process.on(s, onSignal);
  return () => {
    for (const s of signals) process.off(s, onSignal);
  };
}
