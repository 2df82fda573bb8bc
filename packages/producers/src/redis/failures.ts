/**
 * The Redis acknowledger: what happens to an entry once the pipeline is
 * done with it. A success is XACKed (coalesced, see acker.ts). A failure
 * is left pending and claimed back after `retryBackoff` (see retries.ts)
 * until its delivery count reaches `maxAttempts`; then it is added to the
 * dead-letter stream with the reason in `sluice-failure-reason`, and
 * XACKed. `message.configureAck({ onSuccess, onFailure })` changes that for
 * one message (ack-options.ts). Every settled entry leaves the heartbeat
 * (holds.ts).
 */
import { failureReason, type Acknowledger, type Message } from '@sluice/core';
import type { Logger } from '@sluice/core';
import { retryDelay, type Backoff } from '../internal/retry.ts';
import type { Acker } from './acker.ts';
import type { DeliveredEntry } from './claims.ts';
import { checkRedisAckOptions, type RedisAckOptions } from './ack-options.ts';
import type { RedisClient } from './client.ts';
import type { HeldLot } from './holds.ts';
import { channels } from './telemetry.ts';

/** The field of a dead-lettered entry that holds why it failed. */
export const FAILURE_REASON_FIELD = 'sluice-failure-reason';
/** The fields a dead-lettered entry gets besides its own: where it came from. */
export const SOURCE_STREAM_FIELD = 'sluice-source-stream';
export const SOURCE_ID_FIELD = 'sluice-source-id';
export const DELIVERY_COUNT_FIELD = 'sluice-delivery-count';

/** A message's `ackData`: where its entry is held, and its own ack options. */
export interface RedisAckData extends RedisAckOptions {
  /** The entries read (or claimed) with it, and the consumer that holds them. */
  readonly lot: HeldLot;
  /** Its entry's place in `lot.entries`. */
  readonly index: number;
}

export interface RedisAcknowledgerDeps {
  readonly client: RedisClient;
  readonly acker: Acker;
  readonly stream: string;
  readonly group: string;
  readonly deadLetterStream: string;
  readonly maxAttempts: number;
  readonly retryBackoff: Backoff;
  readonly logger: Logger;
}

/** What to do with a failed entry: retry it after `delayMs`, or dead-letter it. */
export type FailureAction =
  { readonly kind: 'retry'; readonly delayMs: number } | { readonly kind: 'deadLetter' };

/** The fate of a failed entry delivered `deliveryCount` times (pure). */
export function failureAction(
  deliveryCount: number,
  maxAttempts: number,
  backoff: Backoff,
): FailureAction {
  if (deliveryCount >= maxAttempts) return { kind: 'deadLetter' };
  return { kind: 'retry', delayMs: retryDelay(deliveryCount, backoff) };
}

/** A failure reason as one line of text: `Error: message` for errors. */
export function describeReason(reason: unknown): string {
  if (reason instanceof Error) return `${reason.name}: ${reason.message}`;
  if (typeof reason === 'string') return reason;
  try {
    return JSON.stringify(reason) ?? String(reason);
  } catch {
    return String(reason);
  }
}

export class RedisAcknowledger implements Acknowledger {
  readonly #d: RedisAcknowledgerDeps;

  constructor(deps: RedisAcknowledgerDeps) {
    this.#d = deps;
  }

  configure(_ackRef: unknown, ackData: unknown, options: Readonly<Record<string, unknown>>) {
    return { ...(ackData as RedisAckData), ...checkRedisAckOptions(options) };
  }

  ack(_ackRef: unknown, successful: Message[], failed: Message[]): Promise<void> | undefined {
    const { acker, maxAttempts, retryBackoff, stream, group } = this.#d;
    const work: Promise<void>[] = [];
    const toAck: string[] = [];
    for (const m of successful) {
      const { lot, index, onSuccess } = m.ackData as RedisAckData;
      lot.settle(index);
      if (onSuccess === undefined || onSuccess === 'ack') toAck.push(entryOf(lot, index).id);
    }
    const dead: { entry: DeliveredEntry; reason: unknown }[] = [];
    for (const m of failed) {
      const { lot, index, onFailure = 'retry' } = m.ackData as RedisAckData;
      lot.settle(index);
      const entry = entryOf(lot, index);
      if (onFailure === 'ack') {
        toAck.push(entry.id);
        continue;
      }
      const action: FailureAction =
        onFailure === 'deadLetter'
          ? { kind: 'deadLetter' }
          : failureAction(entry.deliveryCount, maxAttempts, retryBackoff);
      if (action.kind === 'deadLetter') {
        dead.push({ entry, reason: failureReason(m.status) });
      } else {
        lot.retries.schedule([{ id: entry.id, delayMs: action.delayMs }]);
        if (channels.retry.hasSubscribers) {
          channels.retry.publish({ stream, group, ids: [entry.id], delayMs: action.delayMs });
        }
      }
    }
    if (toAck.length > 0) work.push(acker.ack(toAck));
    if (dead.length > 0) work.push(this.#deadLetter(dead));
    if (work.length === 0) return undefined;
    return Promise.all(work).then(() => undefined);
  }

  /** XADD each to the dead-letter stream, then XACK those added. */
  async #deadLetter(dead: { entry: DeliveredEntry; reason: unknown }[]): Promise<void> {
    const { client, acker, stream, group, deadLetterStream, logger } = this.#d;
    const added: string[] = [];
    let failure: unknown;
    await Promise.all(
      dead.map(async ({ entry, reason }) => {
        try {
          await client.add(deadLetterStream, {
            ...entry.fields,
            [FAILURE_REASON_FIELD]: describeReason(reason),
            [SOURCE_STREAM_FIELD]: stream,
            [SOURCE_ID_FIELD]: entry.id,
            [DELIVERY_COUNT_FIELD]: String(entry.deliveryCount),
          });
          added.push(entry.id);
        } catch (error) {
          failure ??= error;
        }
      }),
    );
    if (added.length > 0 && channels.deadLetter.hasSubscribers) {
      channels.deadLetter.publish({ stream, group, deadLetterStream, count: added.length });
    }
    if (failure !== undefined) {
      logger.warn(
        { err: failure, stream, deadLetterStream, count: dead.length - added.length },
        `Redis: ${dead.length - added.length} entries could not be dead-lettered; they stay pending and will be claimed again after claimIdle`,
      );
    }
    await acker.ack(added);
    if (failure !== undefined) throw failure as Error;
  }
}

function entryOf(lot: HeldLot, index: number): DeliveredEntry {
  return lot.entries[index] as DeliveredEntry;
}
