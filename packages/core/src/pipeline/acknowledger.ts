/**
 * Acking: messages are grouped by (acknowledger, ackRef), keeping their
 * order, and each group gets one `ack(ackRef, successful, failed)` call.
 *
 * Errors never escape: a sync throw or an async rejection from an
 * acknowledger is counted, logged and published, and the stage goes on.
 * Async acks are tracked so a pipeline's `stop()` can wait for them.
 */
import { isThenable } from '../internal/thenable.ts';
import { type Acknowledger, type Message, noopAcknowledger } from './message.ts';

/** Where ack outcomes are reported; the pipeline provides one. */
export interface AckSink {
  /** Messages whose ack was attempted (successful + failed), for in-flight accounting. */
  acked(successful: number, failed: number): void;
  /** An acknowledger threw or rejected. */
  ackError(error: unknown, messages: readonly Message[]): void;
  /** An async ack of `count` messages is in progress; settle it before the pipeline reports stopped. */
  track(promise: Promise<void>, count: number): void;
}

/** Acks `successful` and `failed`, one call per (acknowledger, ackRef) group. */
export function ackMessages(
  successful: readonly Message[],
  failed: readonly Message[],
  sink: AckSink,
): void {
  const total = successful.length + failed.length;
  if (total === 0) return;
  const first = (successful[0] ?? failed[0]) as Message;
  // Fast path: one producer, one ref, which is almost always the case.
  if (allShare(successful, first) && allShare(failed, first)) {
    call(first.acknowledger, first.ackRef, successful as Message[], failed as Message[], sink);
    sink.acked(successful.length, failed.length);
    return;
  }
  for (const [acknowledger, ref, group] of groupForAck(successful, failed)) {
    call(acknowledger, ref, group.ok, group.failed, sink);
  }
  sink.acked(successful.length, failed.length);
}

/** One ack call's worth: the messages of one (acknowledger, ackRef), in order. */
export interface AckGroup {
  readonly ok: Message[];
  readonly failed: Message[];
}

/**
 * Groups messages by (acknowledger, ackRef), keeping their order within
 * each group: one entry per `ack` call to make.
 */
export function groupForAck(
  successful: readonly Message[],
  failed: readonly Message[],
): [Acknowledger, unknown, AckGroup][] {
  const groups = new Map<Acknowledger, Map<unknown, AckGroup>>();
  const add = (m: Message, failure: boolean): void => {
    let byRef = groups.get(m.acknowledger);
    if (byRef === undefined) {
      byRef = new Map<unknown, AckGroup>();
      groups.set(m.acknowledger, byRef);
    }
    let group = byRef.get(m.ackRef);
    if (group === undefined) {
      group = { ok: [], failed: [] };
      byRef.set(m.ackRef, group);
    }
    (failure ? group.failed : group.ok).push(m);
  };
  for (const m of successful) add(m, false);
  for (const m of failed) add(m, true);
  const out: [Acknowledger, unknown, AckGroup][] = [];
  for (const [acknowledger, byRef] of groups) {
    for (const [ref, group] of byRef) out.push([acknowledger, ref, group]);
  }
  return out;
}

function allShare(messages: readonly Message[], first: Message): boolean {
  for (const m of messages) {
    if (m.acknowledger !== first.acknowledger || m.ackRef !== first.ackRef) return false;
  }
  return true;
}

function call(
  acknowledger: Acknowledger,
  ref: unknown,
  ok: Message[],
  failed: Message[],
  sink: AckSink,
): void {
  if (acknowledger === noopAcknowledger) return;
  try {
    const result = acknowledger.ack(ref, ok, failed);
    if (isThenable(result)) {
      sink.track(
        Promise.resolve(result).then(undefined, (error: unknown) =>
          sink.ackError(error, [...ok, ...failed]),
        ),
        ok.length + failed.length,
      );
    }
  } catch (error) {
    sink.ackError(error, [...ok, ...failed]);
  }
}
