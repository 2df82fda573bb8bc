/** The JSON `progress` log line of a run off a terminal. */

/** What a progress line reports. */
export interface Progress {
  readonly [key: string]: unknown;
}

/**
 * Wraps `emit` so it is called only when the progress differs from the
 * last one emitted: an idle pipeline writes one line, not one a second.
 */
export function whenChanged(emit: (progress: Progress) => void): (progress: Progress) => void {
  let last: string | undefined;
  return (progress) => {
    const key = JSON.stringify(progress);
    if (key === last) return;
    last = key;
    emit(progress);
  };
}
