/**
 * The PostgreSQL sink against the real server (POSTGRES_URL, default the
 * loopback one with database `test`), through a real pipeline: what is
 * acked is in the table exactly once; what failed is not.
 */
import { randomUUID } from 'node:crypto';
import { createPipeline, type Pipeline } from '@sluice/core';
import { testBatch, testProducer } from '@sluice/testing';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { sinkHandler, type Sink } from '../src/index.ts';
import { createPgPool, type PgPool } from '../src/postgres/pg-client.ts';
import { postgresSink } from '../src/postgres/index.ts';
import { postgresUrl } from '../src/testing.ts';
import { describeWithPostgres } from '../src/testing-vitest.ts';

interface Row {
  id: number;
  name: string;
  doc: unknown;
}

describeWithPostgres('postgres sink', () => {
  const url = postgresUrl();
  let admin: PgPool;
  let table: string;
  const open: { pipeline: Pipeline | undefined; sink: Sink | undefined } = {
    pipeline: undefined,
    sink: undefined,
  };

  const query = async <T>(sql: string): Promise<T[]> => {
    const connection = await admin.connect();
    try {
      return ((await connection.query(sql)) as { rows: T[] }).rows;
    } finally {
      connection.release();
    }
  };

  beforeAll(() => {
    admin = createPgPool({ url, max: 1, connectionTimeout: 5000 });
  });
  afterAll(() => admin.end());

  afterEach(async () => {
    await open.pipeline?.stop();
    await open.sink?.close();
    open.pipeline = undefined;
    open.sink = undefined;
    await query(`DROP TABLE IF EXISTS ${table}`);
  });

  const start = async (options: Partial<Parameters<typeof postgresSink>[0]> = {}) => {
    table = `sluice_sink_${randomUUID().replaceAll('-', '')}`;
    await query(`CREATE TABLE ${table} (id int PRIMARY KEY, name text NOT NULL, doc jsonb)`);
    const sink = postgresSink({
      url,
      table,
      columns: { id: 'id', name: 'customer.name', doc: '$' },
      ...options,
    });
    const pipeline = createPipeline({
      name: `pg-${table}`,
      producer: { module: testProducer() },
      processors: { default: {} },
      batchers: { db: { batchSize: 50, batchTimeout: 10 } },
      handleMessage: (_p, m) => m.putBatcher('db'),
      handleBatch: sinkHandler(sink),
    });
    open.pipeline = pipeline;
    open.sink = sink;
    await pipeline.start();
    return pipeline;
  };

  const order = (id: number, name: string | null = `c${id}`) => ({ id, customer: { name } });

  it('writes one row per acked message, exactly once, the whole data as JSON where `$` says', async () => {
    const pipeline = await start();
    const data = Array.from({ length: 120 }, (_, i) => order(i));
    const { successful, failed } = await testBatch(pipeline, data);
    expect(failed).toEqual([]);
    expect(successful).toHaveLength(120);
    const rows = await query<Row>(`SELECT id, name, doc FROM ${table} ORDER BY id`);
    expect(rows).toEqual(data.map((d) => ({ id: d.id, name: d.customer.name, doc: d })));
  });

  it('fails only the message whose row is refused mid-batch; the others land once', async () => {
    const pipeline = await start();
    // id 7 has no name (NOT NULL), id 3 comes twice (primary key): both refused.
    const data = [order(1), order(2), order(3), order(7, null), order(3, 'again'), order(9)];
    const { successful, failed } = await testBatch(pipeline, data, { batchMode: 'bulk' });
    expect(successful.map((m) => m.data)).toEqual([order(1), order(2), order(3), order(9)]);
    expect(failed.map((m) => m.data)).toEqual([order(7, null), order(3, 'again')]);
    const reasons = failed.map((m) => String((m.status as { reason: Error }).reason.message));
    expect(reasons[0]).toMatch(
      /PostgreSQL table .*: row refused: .*null value in column "name".*SQLSTATE 23502/,
    );
    expect(reasons[1]).toMatch(/row refused: duplicate key value .*SQLSTATE 23505/);
    const rows = await query<{ id: number; name: string }>(
      `SELECT id, name FROM ${table} ORDER BY id`,
    );
    expect(rows).toEqual([
      { id: 1, name: 'c1' },
      { id: 2, name: 'c2' },
      { id: 3, name: 'c3' },
      { id: 9, name: 'c9' },
    ]);
  });

  it('fails a message whose data is not JSON, naming it, and writes the rest', async () => {
    const pipeline = await start();
    const bytes = new TextEncoder();
    const { successful, failed } = await testBatch(pipeline, [
      bytes.encode(JSON.stringify(order(1))),
      bytes.encode('{not json'),
      JSON.stringify(order(2)),
    ]);
    expect(successful).toHaveLength(2);
    expect(failed).toHaveLength(1);
    const reason = (failed[0]?.status as { reason: Error & { code: string } }).reason;
    expect(reason.code).toBe('ERR_SINK_DATA');
    expect(reason.message).toMatch(/its data is not JSON/);
    expect(await query(`SELECT id FROM ${table} ORDER BY id`)).toEqual([{ id: 1 }, { id: 2 }]);
  });

  it("onConflict 'ignore' acks a duplicate without writing it; { target, update } upserts", async () => {
    let pipeline = await start({ onConflict: 'ignore' });
    let result = await testBatch(pipeline, [order(1), order(1, 'dup'), order(2)]);
    expect(result.failed).toEqual([]);
    expect(await query(`SELECT id, name FROM ${table} ORDER BY id`)).toEqual([
      { id: 1, name: 'c1' },
      { id: 2, name: 'c2' },
    ]);
    await open.pipeline?.stop();
    await open.sink?.close();
    await query(`DROP TABLE ${table}`);
    pipeline = await start({ onConflict: { target: ['id'], update: ['name'] } });
    result = await testBatch(pipeline, [order(1)]);
    result = await testBatch(pipeline, [order(1, 'updated'), order(2)]);
    expect(result.failed).toEqual([]);
    expect(await query(`SELECT id, name FROM ${table} ORDER BY id`)).toEqual([
      { id: 1, name: 'updated' },
      { id: 2, name: 'c2' },
    ]);
  });

  it('fails the whole batch, acking nothing, when the server refuses connections', async () => {
    table = 'unused';
    // Nothing listens on port 1: every connection is refused.
    const sink = postgresSink({
      url: 'postgres://postgres@127.0.0.1:1/test',
      table: 'orders',
      columns: { id: 'id' },
    });
    const pipeline = createPipeline({
      name: 'pg-refused',
      producer: { module: testProducer() },
      processors: { default: {} },
      batchers: { db: { batchSize: 10, batchTimeout: 10 } },
      handleMessage: (_p, m) => m.putBatcher('db'),
      handleBatch: sinkHandler(sink),
    });
    open.pipeline = pipeline;
    open.sink = sink;
    await pipeline.start();
    const { successful, failed } = await testBatch(pipeline, [order(1), order(2), order(3)]);
    expect(successful).toEqual([]);
    expect(failed).toHaveLength(3);
    const reason = (failed[0]?.status as { reason: Error & { code: string } }).reason;
    expect(reason.code).toBe('ERR_SINK_UNAVAILABLE');
    expect(reason.message).toMatch(/PostgreSQL table orders: could not connect: .*ECONNREFUSED/);
  });
});
