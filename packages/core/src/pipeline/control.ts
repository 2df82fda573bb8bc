/**
 * Pausing and resuming a running pipeline (see `pipeline.pause()`).
 *
 * Pausing tells every producer stage to stop dispatching: the demand the
 * processors send is added up instead of passed to the producer module,
 * and whatever the module still emits (a broker pushing up to its
 * prefetch) or is pushed waits in the stage. Nothing is dropped and
 * nothing is acked early: messages already with the processors and
 * batchers finish and are acked as usual. Resuming dispatches what waited
 * and passes on the demand that arrived meanwhile.
 */
import { SluiceError } from '../errors.ts';
import type { ProducerHandle } from './producer-stage.ts';
import { channels } from './telemetry.ts';

export class PauseControl {
  readonly #pipeline: string;
  #paused = false;

  constructor(pipeline: string) {
    this.#pipeline = pipeline;
  }

  get paused(): boolean {
    return this.#paused;
  }

  /** Pauses every producer; false if it was paused already. Throws unless `state` is running. */
  pause(producers: readonly ProducerHandle[], state: string): boolean {
    this.#mustRun('pause', state);
    if (this.#paused) return false;
    this.#paused = true;
    for (const p of producers) p.pause();
    if (channels.pipelinePause.hasSubscribers) {
      channels.pipelinePause.publish({ pipeline: this.#pipeline, paused: true });
    }
    return true;
  }

  /** Resumes every producer; false if it was not paused. */
  resume(producers: readonly ProducerHandle[], state: string): boolean {
    this.#mustRun('resume', state);
    if (!this.#paused) return false;
    this.#paused = false;
    for (const p of producers) p.resume();
    if (channels.pipelinePause.hasSubscribers) {
      channels.pipelinePause.publish({ pipeline: this.#pipeline, paused: false });
    }
    return true;
  }

  #mustRun(what: string, state: string): void {
    if (state !== 'running') {
      throw new SluiceError(
        'ERR_PIPELINE_STATE',
        `${what}: pipeline ${this.#pipeline} is ${state}, not running`,
      );
    }
  }
}
