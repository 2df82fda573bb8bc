/**
 * When a partition's buffer pauses its fetching, and when it resumes.
 *
 * By default the buffer is full only when it holds both the count bound
 * and two fetches' worth of key and value bytes: pausing on a count smaller
 * than one fetch would pause after nearly every fetch, and kafkajs then
 * drops the paused partitions' data already on its way and, once every
 * partition is paused, sleeps `maxWaitTimeInMs` before it fetches again.
 * With `maxBufferedPerPartition` set, `byteBound` is undefined and the count
 * alone decides.
 */

/** What the bounds look at: a partition's buffered messages and their bytes. */
export interface BufferSize {
  readonly buffered: number;
  readonly bufferedWeight: number;
}

/** The buffer is at its bound: fetching pauses. */
export function isFull(q: BufferSize, bound: number, byteBound: number | undefined): boolean {
  return q.buffered >= bound && (byteBound === undefined || q.bufferedWeight >= byteBound);
}

/** The buffer has drained to half its bound: fetching resumes. */
export function isDrained(q: BufferSize, bound: number, byteBound: number | undefined): boolean {
  return q.buffered <= bound / 2 || (byteBound !== undefined && q.bufferedWeight <= byteBound / 2);
}
