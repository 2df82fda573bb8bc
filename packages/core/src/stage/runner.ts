/**
 * A stage's mailbox and the continuation runner that works through it: the
 * part of GenStage's process that is about running, not about demand.
 *
 * Envelopes are handled one at a time. A handler returns `true` when it
 * suspended on a promise (the continuation is stored and run when the
 * promise settles, while the mailbox waits) and `false` when it finished
 * synchronously. The synchronous path allocates no promise.
 *
 * States: IDLE (nothing to do) → QUEUED (on the scheduler's ready queue) →
 * RUNNING (inside `run`) → back to IDLE, or SUSPENDED on a promise, which
 * queues the runner again when it settles. STOPPING and STOPPED are final.
 *
 * Invariants:
 * - the state is RUNNING only inside `run`;
 * - the runner is on the scheduler's ready queue iff it is QUEUED;
 * - envelopes are handled in the order they were posted.
 */
import { Fifo } from '../internal/fifo.ts';
import { isThenable } from '../internal/thenable.ts';
import { schedule, type Runnable } from './scheduler.ts';

const IDLE = 0;
const QUEUED = 1;
const RUNNING = 2;
const SUSPENDED = 3;
const STOPPING = 4;
const STOPPED = 5;

/** What the runner calls back into: the stage. */
export interface RunnerHost<E> {
  /** Handles one envelope; returns whether it suspended. */
  handle(envelope: E): boolean;
  /** Stops the stage: a stop was requested and the current step is done. */
  terminate(reason: unknown): void;
  /** A step threw: the stage crashes with `error`. */
  crash(error: unknown): void;
}

/** A continuation step: returns whether it suspended. */
export type Step = () => boolean;

export class Runner<E> implements Runnable {
  readonly mailbox = new Fifo<E>();
  readonly #host: RunnerHost<E>;
  #state = IDLE;
  #resume: Step | null = null;
  #stopRequested = false;
  #stopReason: unknown = undefined;

  constructor(host: RunnerHost<E>) {
    this.#host = host;
  }

  /** True once the stage has stopped for good. */
  get stopped(): boolean {
    return this.#state === STOPPED;
  }

  /** True once the stage is stopping or stopped: it takes no more mail. */
  get closed(): boolean {
    return this.#state >= STOPPING;
  }

  /** True once a stop has been requested (the current step still finishes). */
  get stopRequested(): boolean {
    return this.#stopRequested;
  }

  /** Queues `envelope`; returns false (and keeps nothing) once the stage is closed. */
  post(envelope: E): boolean {
    if (this.#state >= STOPPING) return false;
    this.mailbox.push(envelope);
    this.wake();
    return true;
  }

  /** Puts an idle runner on the scheduler's ready queue. */
  wake(): void {
    if (this.#state === IDLE) {
      this.#state = QUEUED;
      schedule(this);
    }
  }

  /** Asks the stage to stop once its current step is done. The first reason wins. */
  requestStop(reason: unknown): void {
    if (!this.#stopRequested) {
      this.#stopRequested = true;
      this.#stopReason = reason;
    }
  }

  /** Marks the stage as stopping: its continuation is dropped and no more mail is taken. */
  markStopping(): void {
    this.#state = STOPPING;
    this.#resume = null;
  }

  /** Marks the stage as stopped. */
  markStopped(): void {
    this.#state = STOPPED;
  }

  /** Handles up to `budget` envelopes or continuations; called by the scheduler. */
  run(budget: number): void {
    if (this.#state !== QUEUED) return;
    this.#state = RUNNING;
    const host = this.#host;
    for (let i = 0; i < budget; i++) {
      let suspended: boolean;
      const resume = this.#resume;
      try {
        if (resume !== null) {
          this.#resume = null;
          suspended = resume();
        } else if (this.#stopRequested) {
          host.terminate(this.#stopReason);
          return;
        } else {
          const envelope = this.mailbox.shift();
          if (envelope === undefined) {
            this.#state = IDLE;
            return;
          }
          suspended = host.handle(envelope);
        }
      } catch (error) {
        if (this.#state < STOPPING) host.crash(error);
        return;
      }
      if (suspended || this.#state !== RUNNING) return;
    }
    this.#state = QUEUED;
    schedule(this);
  }

  /** Continues with `then(value)` once `promise` settles; the mailbox waits meanwhile. */
  await<T>(promise: PromiseLike<T>, then: (value: T) => boolean): true {
    this.#state = SUSPENDED;
    promise.then(
      (value) => this.#continueWith(() => then(value)),
      (error: unknown) =>
        this.#continueWith(() => {
          throw error;
        }),
    );
    return true;
  }

  /** Calls `then` with a callback's result, now or once its promise settles. */
  then<T>(result: T | PromiseLike<T>, then: (value: T) => boolean): boolean {
    return isThenable<T>(result) ? this.await(result, then) : then(result);
  }

  /**
   * Runs `step` until it returns `undefined` (done), then `then`. Each step
   * calls `next` exactly once when it has finished, synchronously or after a
   * suspension, and returns whether it suspended. The synchronous case loops
   * instead of recursing, so long runs do not grow the stack. A requested
   * stop ends the loop.
   */
  iterate(step: (next: Step) => boolean | undefined, then: Step): boolean {
    for (;;) {
      if (this.#stopRequested) return false;
      let synchronous = true;
      let again = false;
      const next = (): boolean => {
        if (synchronous) {
          again = true;
          return false;
        }
        return this.iterate(step, then);
      };
      const suspended = step(next);
      synchronous = false;
      if (suspended === undefined) return then();
      if (suspended) return true;
      if (!again) return false;
    }
  }

  #continueWith(step: Step): void {
    if (this.#state !== SUSPENDED) return;
    this.#resume = step;
    this.#state = QUEUED;
    schedule(this);
  }
}
