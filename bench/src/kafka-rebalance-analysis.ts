/**
 * What the rebalance scenario measured, from the members' handling logs:
 * per event, how long partitions that kept their member stopped, how long
 * partitions that moved paused, and the duplicates; in all, what was lost.
 * Pure: a list of handlings in, numbers out.
 */

/** One message handled by one member. */
export interface Handling {
  readonly member: string;
  readonly partition: number;
  readonly offset: number;
  /** ms since the epoch. */
  readonly at: number;
}

/** A group change and when it was made. */
export interface GroupEvent {
  readonly name: string;
  readonly at: number;
}

/** The numbers of one event. */
export interface EventReport {
  readonly name: string;
  /** Partitions whose member changed. */
  readonly moved: number;
  /** Longest gap in handling of a partition that kept its member, ms. */
  readonly unmovedMaxStopMs: number;
  /** Median of those partitions' longest gaps, ms. */
  readonly unmovedMedianStopMs: number;
  /** Longest gap of a partition that moved, ms (0 if none moved). */
  readonly movedMaxPauseMs: number;
  readonly movedMedianPauseMs: number;
  /** Messages handled again in this event's window. */
  readonly duplicates: number;
}

export interface RebalanceAnalysis {
  /** Longest gap of any partition late in the first event's window (the settled start): the noise, ms. */
  readonly steadyMaxGapMs: number;
  readonly events: readonly EventReport[];
  /** Offsets on the topic never handled. */
  readonly lost: number;
  readonly duplicates: number;
  readonly handled: number;
}

const median = (xs: readonly number[]): number => {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};

/**
 * `end[p]` is partition p's end offset on the topic (every offset below it
 * was published); `events` in time order; `until` is when the last
 * event's window closes.
 */
export function analyseRebalance(
  handlings: readonly Handling[],
  events: readonly GroupEvent[],
  end: readonly number[],
  until: number,
): RebalanceAnalysis {
  const sorted = [...handlings].sort((a, b) => a.at - b.at);
  const byPartition = end.map(() => [] as Handling[]);
  for (const h of sorted) byPartition[h.partition]?.push(h);
  // Duplicates, each at the time of its second (or later) handling.
  const seen = new Set<string>();
  const duplicateTimes: number[] = [];
  for (const h of sorted) {
    const id = `${h.partition}/${h.offset}`;
    if (seen.has(id)) duplicateTimes.push(h.at);
    else seen.add(id);
  }
  let lost = 0;
  end.forEach((n, p) => {
    for (let o = 0; o < n; o++) if (!seen.has(`${p}/${o}`)) lost++;
  });
  const ownerAt = (list: readonly Handling[], t: number): string | undefined => {
    let owner: string | undefined;
    for (const h of list) {
      if (h.at > t) break;
      owner = h.member;
    }
    return owner;
  };
  // The longest gap between handlings of a partition within [from, to): one
  // that goes on past `to` belongs to the next window.
  const maxGap = (list: readonly Handling[], from: number, to: number): number => {
    let prev: number | undefined;
    let gap = 0;
    for (const h of list) {
      if (h.at >= to) break;
      if (h.at >= from && prev !== undefined) gap = Math.max(gap, h.at - Math.max(prev, from));
      prev = h.at;
    }
    return gap;
  };
  // The steady state: the second half of the first event's window (the start, settled).
  const from = events[0]?.at ?? until;
  const to = events[1]?.at ?? until;
  const steady = byPartition.map((list) => maxGap(list, from + (to - from) / 2, to));
  const reports = events.map((e, i): EventReport => {
    const to = events[i + 1]?.at ?? until;
    const unmoved: number[] = [];
    const moved: number[] = [];
    for (const list of byPartition) {
      const before = ownerAt(list, e.at);
      const after = ownerAt(list, to);
      (before === after ? unmoved : moved).push(maxGap(list, e.at, to));
    }
    return {
      name: e.name,
      moved: moved.length,
      unmovedMaxStopMs: Math.max(0, ...unmoved),
      unmovedMedianStopMs: median(unmoved),
      movedMaxPauseMs: Math.max(0, ...moved),
      movedMedianPauseMs: median(moved),
      duplicates: duplicateTimes.filter((t) => t >= e.at && t < to).length,
    };
  });
  return {
    steadyMaxGapMs: Math.max(0, ...steady),
    events: reports,
    lost,
    duplicates: duplicateTimes.length,
    handled: seen.size,
  };
}
