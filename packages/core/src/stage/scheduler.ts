/**
 * The cooperative scheduler that runs stages.
 *
 * Stages talk by posting envelopes to each other's mailboxes. A stage with
 * mail is put on the ready queue; one microtask drains the whole ready queue,
 * so a burst of sends costs one microtask, not one per send.
 *
 * Microtasks starve the event loop: a pipeline of synchronous or already
 * resolved callbacks would never let timers, I/O or signals run. So work is
 * cut into slices, like the BEAM's reductions: once a slice has run for
 * `SLICE_MS`, the next round waits for a `setImmediate`, which lets the
 * event loop breathe first. Within a slice, rounds follow each other as
 * microtasks, so promise continuations interleave with synchronous stages.
 */

/** Something the scheduler can run: a stage with mail. */
export interface Runnable {
  /** Handles up to `budget` envelopes. Reschedules itself if mail remains. */
  run(budget: number): void;
}

const SLICE_MS = 8;
const BUDGET = 64;

const ready: Runnable[] = [];
let readyHead = 0;
let pending = false;
let sliceStart = 0;
/** Rounds since the clock was last read: reading it every round costs more than a round. */
let roundsUnchecked = 0;

const now = (): number => performance.now();

function endSlice(): void {
  sliceStart = 0;
}

/**
 * Runs one round: the stages that were ready when it started. Stages that
 * become ready during the round (including ones whose promise settled) run
 * in the next round, one microtask later, so an async stage is never kept
 * waiting a whole slice behind busy synchronous ones.
 */
function tick(): void {
  if (sliceStart === 0) {
    sliceStart = now();
    roundsUnchecked = 0;
    // Runs once the microtask queue empties, i.e. at the next event-loop
    // turn, which is exactly when the current slice ends.
    setImmediate(endSlice);
  } else if (++roundsUnchecked >= 16 || ready.length - readyHead > 256) {
    roundsUnchecked = 0;
    if (now() - sliceStart > SLICE_MS) {
      setImmediate(tick);
      return;
    }
  }
  const end = ready.length;
  while (readyHead < end) {
    const stage = ready[readyHead++] as Runnable;
    stage.run(BUDGET);
  }
  if (readyHead < ready.length) {
    ready.splice(0, readyHead);
    readyHead = 0;
    queueMicrotask(tick);
    return;
  }
  ready.length = 0;
  readyHead = 0;
  pending = false;
}

/** Puts a stage on the ready queue. The caller guarantees it is not already there. */
export function schedule(stage: Runnable): void {
  ready.push(stage);
  if (!pending) {
    pending = true;
    queueMicrotask(tick);
  }
}
