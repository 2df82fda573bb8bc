/**
 * `ackImmediately`: ack messages now, from inside a handler, instead of at
 * the end of the pipeline.
 */
import { SluiceError } from '../errors.ts';
import { isThenable } from '../internal/thenable.ts';
import { groupForAck } from './acknowledger.ts';
import { type Message, noopAcknowledger } from './message.ts';

/**
 * Acks the given messages now (successful or failed by their status) and
 * makes the pipeline's own ack of them a no-op. Resolves with the messages
 * once their acknowledgers have settled.
 *
 * If an acknowledger fails, the promise rejects with an error listing how
 * many messages could not be acked, and those messages keep their
 * acknowledger, so the pipeline tries again when they complete.
 *
 * @example
 * ```ts
 * async handleMessage(_processor, message) {
 *   await ackImmediately(message); // the source forgets it now
 *   await slowSideEffect(message.data);
 *   return message;
 * }
 * ```
 */
export async function ackImmediately<T extends Message | readonly Message[]>(
  messages: T,
): Promise<T> {
  const list: readonly Message[] = Array.isArray(messages) ? messages : [messages as Message];
  const failures: { error: unknown; messages: Message[] }[] = [];
  const pending: Promise<void>[] = [];
  const successful = list.filter((m) => m.ok);
  const failed = list.filter((m) => !m.ok);
  for (const [acknowledger, ref, group] of groupForAck(successful, failed)) {
    const all = [...group.ok, ...group.failed];
    const done = (): void => {
      for (const m of all) m.acknowledger = noopAcknowledger;
    };
    try {
      const result = acknowledger.ack(ref, group.ok, group.failed);
      if (isThenable(result)) {
        pending.push(
          Promise.resolve(result).then(
            done,
            (error: unknown) => void failures.push({ error, messages: all }),
          ),
        );
      } else {
        done();
      }
    } catch (error) {
      failures.push({ error, messages: all });
    }
  }
  await Promise.all(pending);
  if (failures.length > 0) {
    const count = failures.reduce((n, f) => n + f.messages.length, 0);
    throw new SluiceError(
      'ERR_ACK_FAILED',
      `ackImmediately: ${count} of ${list.length} messages could not be acked`,
      {
        cause:
          failures.length === 1
            ? failures[0]?.error
            : new AggregateError(failures.map((f) => f.error)),
      },
    );
  }
  return messages;
}
