/**
 * Claiming pending entries: those of a dead (or slow) consumer, idle for
 * `claimIdle` ms, with XAUTOCLAIM on a `claimInterval` timer; and this
 * consumer's own failed entries whose retry backoff has passed, with
 * XCLAIM. Either way the entries' delivery counts are read back with
 * XPENDING, since a claim increments them: `maxAttempts` is checked against
 * what Redis counted, whichever consumer delivered them before.
 */
import type { RedisClient, RedisEntry } from './client.ts';
import type { RetryEntry } from './retries.ts';
import { channels } from './telemetry.ts';

/** A stream entry with the number of times it has been delivered, this one included. */
export interface DeliveredEntry extends RedisEntry {
  readonly deliveryCount: number;
}

/** Where and as whom claims are made. */
export interface ClaimTarget {
  readonly client: RedisClient;
  readonly stream: string;
  readonly group: string;
  readonly consumer: string;
}

/**
 * `entries`, just claimed by `target.consumer`, with their delivery counts
 * from XPENDING (1 if XPENDING no longer lists one, e.g. acked meanwhile).
 */
export async function withDeliveryCounts(
  target: ClaimTarget,
  entries: readonly RedisEntry[],
): Promise<DeliveredEntry[]> {
  if (entries.length === 0) return [];
  const { client, stream, group, consumer } = target;
  const ids = entries.map((e) => e.id).sort(compareIds);
  const first = ids[0] as string;
  const last = ids[ids.length - 1] as string;
  // The range may hold more of this consumer's entries than were claimed
  // (others in flight): ask for enough to cover them.
  const pending = await client.pending(stream, group, first, last, 10_000, consumer);
  const counts = new Map(pending.map((p) => [p.id, p.deliveryCount]));
  return entries.map((e) => ({ ...e, deliveryCount: counts.get(e.id) ?? 1 }));
}

/** Claims back `ready` failed entries of this consumer (XCLAIM), with their delivery counts. */
export async function claimRetries(
  target: ClaimTarget,
  ready: readonly RetryEntry[],
): Promise<DeliveredEntry[]> {
  if (ready.length === 0) return [];
  // One XCLAIM per backoff: the least idle time keeps an entry that another
  // consumer claimed meanwhile (its idle time reset) with that consumer.
  const byDelay = new Map<number, string[]>();
  for (const r of ready) byDelay.set(r.delayMs, [...(byDelay.get(r.delayMs) ?? []), r.id]);
  const claimed: RedisEntry[] = [];
  for (const [delay, ids] of byDelay) {
    const { client, stream, group, consumer } = target;
    claimed.push(...(await client.claim(stream, group, consumer, delay, ids)));
  }
  publishClaim(target, 'retry', claimed.length);
  return withDeliveryCounts(target, claimed);
}

/** XAUTOCLAIM, one page at a time, remembering the cursor between calls. */
export class IdleClaimer {
  readonly #target: ClaimTarget;
  readonly #claimIdle: number;
  readonly #interval: number;
  #cursor = '0-0';
  #next: number;

  /**
   * @param now the clock (`performance.now()` or a fake); the first claim
   *   is due at once, so a restarted consumer picks up a dead one's entries
   */
  constructor(target: ClaimTarget, claimIdle: number, interval: number, now: number) {
    this.#target = target;
    this.#claimIdle = claimIdle;
    this.#interval = interval;
    this.#next = now;
  }

  /** True when a claim should be made at `now`. */
  due(now: number): boolean {
    return now >= this.#next;
  }

  /** Ms from `now` until the next claim is due (0 when due). */
  msUntilDue(now: number): number {
    return Math.max(0, this.#next - now);
  }

  /** Claims up to `count` idle entries; the next claim is due at once if the page was full. */
  async claim(count: number, now: number): Promise<DeliveredEntry[]> {
    const { client, stream, group, consumer } = this.#target;
    const page = await client.autoClaim(
      stream,
      group,
      consumer,
      this.#claimIdle,
      this.#cursor,
      count,
    );
    this.#cursor = page.cursor;
    const more = page.cursor !== '0-0' && page.entries.length >= count;
    this.#next = more ? now : now + this.#interval;
    publishClaim(this.#target, 'idle', page.entries.length);
    return withDeliveryCounts(this.#target, page.entries);
  }
}

function publishClaim(target: ClaimTarget, reason: 'idle' | 'retry', count: number): void {
  if (count === 0 || !channels.claim.hasSubscribers) return;
  const { stream, group, consumer } = target;
  channels.claim.publish({ stream, group, consumer, reason, count });
}

/** Orders stream ids (`<ms>-<seq>`) numerically. */
export function compareIds(a: string, b: string): number {
  const [am = 0n, as = 0n] = a.split('-').map((p) => BigInt(p));
  const [bm = 0n, bs = 0n] = b.split('-').map((p) => BigInt(p));
  if (am !== bm) return am < bm ? -1 : 1;
  return as === bs ? 0 : as < bs ? -1 : 1;
}
