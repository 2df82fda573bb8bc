import { testBatch, testMessage, testProducer } from '@sluice/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { generatorProducer, type Pipeline, silentLogger } from '@sluice/core';
import { order, ordersPipeline, type Order, type Warehouse } from '../src/orders.ts';

let pipeline: Pipeline | undefined;
afterEach(async () => {
  await pipeline?.stop();
});

describe('orders pipeline', () => {
  it('writes valid orders to the warehouse as JSON', async () => {
    const warehouse: Warehouse = { batches: 0, rows: 0, bytes: 0 };
    pipeline = ordersPipeline({ producer: testProducer<Order>(), warehouse, logger: silentLogger });
    await pipeline.start();
    const { successful, failed } = await testMessage(pipeline, order(1));
    expect(failed).toEqual([]);
    expect(JSON.parse(successful[0]?.data as unknown as string)).toEqual({
      id: 1,
      customer: 'c1',
      amount: 37,
    });
    expect(warehouse.rows).toBe(1);
  });

  it('rejects orders with a zero amount', async () => {
    const warehouse: Warehouse = { batches: 0, rows: 0, bytes: 0 };
    pipeline = ordersPipeline({ producer: testProducer<Order>(), warehouse, logger: silentLogger });
    await pipeline.start();
    const { successful, failed } = await testBatch(pipeline, [order(0), order(500), order(7)]);
    expect(successful).toHaveLength(1);
    expect(failed.map((m) => m.data.id).sort()).toEqual([0, 500]);
  });

  it('runs the generator to the end, acking every order once', async () => {
    const warehouse: Warehouse = { batches: 0, rows: 0, bytes: 0 };
    let acked = 0;
    pipeline = ordersPipeline({
      producer: generatorProducer({
        count: 20_000,
        data: order,
        onAck: (s, f) => (acked += s + f),
      }),
      warehouse,
      logger: silentLogger,
    });
    await pipeline.start();
    while (acked < 20_000) await new Promise((r) => setImmediate(r));
    const report = await pipeline.stop();
    expect(report.unacked).toBe(0);
    expect(pipeline.stats()).toMatchObject({ successful: 19_960, failed: 40, inFlight: 0 });
    expect(warehouse.rows).toBe(19_960);
  });
});
