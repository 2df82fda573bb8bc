/**
 * Runs callbacks once the thread goes idle: after the current macrotask and
 * every microtask it queued, i.e. when the event loop next gets a turn.
 *
 * The pipeline runtime uses it to ack messages that finished while the rest of their
 * chunk waits on I/O: as long as handlers complete back to back (the thread
 * is busy), acks are coalesced and go out at the end of the chunk; as soon
 * as it waits, what is done is acked. One `setImmediate` serves every
 * caller in a turn, so a busy pipeline pays for at most one per event-loop
 * turn, not one per chunk.
 */
const queue: (() => void)[] = [];
let armed = false;

function run(): void {
  armed = false;
  // Callbacks queued while these run wait for the next turn.
  const due = queue.splice(0, queue.length);
  for (const callback of due) callback();
}

/** Calls `callback` once, when the event loop next gets a turn. */
export function whenIdle(callback: () => void): void {
  queue.push(callback);
  if (!armed) {
    armed = true;
    setImmediate(run);
  }
}
