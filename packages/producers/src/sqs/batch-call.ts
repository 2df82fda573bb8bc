/**
 * One SQS batch call (delete, change visibility, send) for up to 10
 * entries, with retries: the whole call again on a transient error
 * (throttling, 5xx, network), and the failed entries again when SQS says
 * the fault was its own. Every per-entry `Failed` result is looked at.
 */
import { messageOf } from '../internal/error-helpers.ts';
import { jitteredDelay } from '../internal/retry.ts';
import { isTransientError, isTransientEntry } from './transient.ts';
import type { SqsBatchResult } from './client.ts';
import type { Backoff } from '../internal/retry.ts';

/** How a batch call is retried. */
export interface RetryPolicy {
  /** Tries in all, the first included. */
  readonly attempts: number;
  /**
   * Transient failures are tried again past `attempts` until this many ms
   * after the first try: an ack rides out a short outage instead of giving
   * its message back. Non-transient failures stop at `attempts`.
   */
  readonly retryForMs?: number;
  /** The pause between tries. */
  readonly backoff: Backoff;
  readonly random?: () => number;
}

/** An entry that failed for good, with SQS's code (or the error's name). */
export interface FailedEntry<E> {
  readonly entry: E;
  readonly code: string;
  readonly message: string;
}

/** What a batch call did in the end. */
export interface BatchOutcome<E> {
  readonly ok: E[];
  readonly failed: FailedEntry<E>[];
  /** Calls made, retries included. */
  readonly attempts: number;
}

/**
 * Calls `call` with `entries` (at most 10), each given the id of its index
 * in the batch, until every entry succeeded or failed for good.
 */
export async function callBatch<E>(
  entries: readonly E[],
  call: (entries: readonly { id: string; entry: E }[]) => Promise<SqsBatchResult>,
  policy: RetryPolicy,
): Promise<BatchOutcome<E>> {
  const ok: E[] = [];
  const failed: FailedEntry<E>[] = [];
  let pending = entries.map((entry, i) => ({ id: String(i), entry }));
  let attempt = 0;
  // A timer, not a clock reading: the budget then ends on the same clock
  // as the pauses between tries, real or faked.
  let withinBudget = (policy.retryForMs ?? 0) > 0;
  const budget = withinBudget
    ? setTimeout(() => (withinBudget = false), policy.retryForMs).unref()
    : undefined;
  while (pending.length > 0) {
    attempt += 1;
    let retry: typeof pending = [];
    try {
      const result = await call(pending);
      const last = attempt >= policy.attempts && !withinBudget;
      const byId = new Map(pending.map((p) => [p.id, p]));
      for (const s of result.successful) {
        const p = byId.get(s.id);
        if (p === undefined) continue;
        byId.delete(s.id);
        ok.push(p.entry);
      }
      for (const f of result.failed) {
        const p = byId.get(f.id);
        if (p === undefined) continue;
        byId.delete(f.id);
        if (!last && isTransientEntry(f)) retry.push(p);
        else failed.push({ entry: p.entry, code: f.code, message: f.message });
      }
      // An entry the response names neither way: try it again, or give up.
      for (const p of byId.values()) {
        if (!last) retry.push(p);
        else failed.push({ entry: p.entry, code: 'Missing', message: 'not in the response' });
      }
    } catch (error) {
      // Decided once the try has failed: the budget may have run out meanwhile.
      const last = attempt >= policy.attempts && !withinBudget;
      if (!last && isTransientError(error)) {
        retry = pending;
      } else {
        const code = (error as { code?: unknown }).code;
        for (const p of pending) {
          failed.push({
            entry: p.entry,
            code: typeof code === 'string' ? code : 'Error',
            message: messageOf(error),
          });
        }
      }
    }
    pending = retry;
    if (pending.length > 0) {
      const delay = jitteredDelay(attempt, policy.backoff, policy.random);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
  clearTimeout(budget);
  return { ok, failed, attempts: attempt };
}
