/**
 * The handler for pipeline.yaml: a plain function, loaded by `sluice run`
 * without a build step. Batches go to the file sink the YAML declares.
 */
import type { Message } from '@sluice/core';

/** Turns generated message n into an order; every 500th has no amount and is rejected. */
export function handleMessage(_processor: string, message: Message): Message {
  const { n } = message.data as { n: number };
  const order = { id: n, customer: `c${n % 1000}`, amount: (n * 37) % 500 };
  if (order.amount === 0) return message.fail(`order ${order.id} has no amount`);
  return message.putData(order).putBatcher('warehouse');
}
