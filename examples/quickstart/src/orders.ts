/**
 * The quickstart pipeline: synthetic orders are validated and serialized by
 * the processors, then written to a warehouse sink in batches of 500.
 * Orders with a zero amount are rejected (failed, and acked as failed).
 */
import { createPipeline, type Logger, type Pipeline, type ProducerModule } from '@sluice/core';

export interface Order {
  readonly id: number;
  readonly customer: string;
  readonly amount: number;
}

/** The synthetic order number `n`. Every 500th has a zero amount. */
export function order(n: number): Order {
  return { id: n, customer: `c${n % 1000}`, amount: (n * 37) % 500 };
}

/** Where the batches go; counts what it was given. */
export interface Warehouse {
  batches: number;
  rows: number;
  bytes: number;
}

export function ordersPipeline(options: {
  /** Any source of orders: the generator in main.ts, `testProducer<Order>()` in tests. */
  producer: ProducerModule<Order, object, object>;
  warehouse: Warehouse;
  logger?: Logger;
}): Pipeline {
  const { warehouse } = options;
  return createPipeline({
    name: 'orders',
    producer: { module: options.producer },
    processors: { default: { concurrency: 2 } },
    batchers: { warehouse: { batchSize: 500, batchTimeout: 200, concurrency: 2 } },
    ...(options.logger !== undefined && { logger: options.logger }),
    handleMessage(_processor, message) {
      const o = message.data;
      if (o.amount === 0) return message.fail(`order ${o.id} has a zero amount`);
      return message.putData(JSON.stringify(o)).putBatcher('warehouse');
    },
    handleBatch(_batcher, messages) {
      warehouse.batches++;
      warehouse.rows += messages.length;
      for (const m of messages) warehouse.bytes += m.data.length;
      return messages;
    },
  });
}
