/**
 * Seed example 3: the queue broadcaster. A producer with a
 * BroadcastDispatcher that other code pushes notifications into.
 *
 * It keeps two queues: notifications that arrived while nobody had demand,
 * and demand that arrived while there were no notifications. Each side
 * drains the other. `syncNotify` resolves once its notification has been
 * dispatched to the consumers, not merely queued.
 */
import { type Logger } from '@sluice/core';
import { BroadcastDispatcher, producer, type CallRef, type Stage } from '@sluice/core/stage';

interface Queued<T> {
  readonly event: T;
  readonly from: CallRef;
}

export interface QueueBroadcaster<T> {
  readonly stage: Stage<never, T>;
  /** Broadcasts `event`; resolves once it has been dispatched. */
  syncNotify(event: T): Promise<void>;
}

export function startQueueBroadcaster<T>(options: { logger?: Logger } = {}): QueueBroadcaster<T> {
  const queue: Queued<T>[] = [];
  let pendingDemand = 0;

  const dispatch = (stage: Stage<never, T>): T[] => {
    const out: T[] = [];
    while (pendingDemand > 0 && queue.length > 0) {
      const { event, from } = queue.shift() as Queued<T>;
      stage.reply(from, undefined);
      out.push(event);
      pendingDemand--;
    }
    return out;
  };

  const stage = producer<T>(
    {
      handleCall(request, from, self) {
        queue.push({ event: request as T, from });
        return { events: dispatch(self) };
      },
      handleDemand(demand, self) {
        pendingDemand += demand;
        return dispatch(self);
      },
    },
    {
      name: 'broadcaster',
      dispatcher: new BroadcastDispatcher(),
      ...(options.logger !== undefined && { logger: options.logger }),
    },
  );
  return {
    stage,
    syncNotify: (event) => stage.call<void>(event),
  };
}
