/**
 * sinkWriter against the real PostgreSQL, from a pipeline's handleMessage
 * with eight concurrent processors: every acked message's row is in the
 * table exactly once (the table has no key, so a row written twice would
 * show), a refused row's message is failed and not in the table.
 */
import { randomUUID } from 'node:crypto';
import { createPipeline, type Pipeline } from '@sluice/core';
import { testBatch, testProducer } from '@sluice/testing';
import { afterEach, expect, it } from 'vitest';
import { sinkWriter, type Sink, type SinkWriter } from '../src/index.ts';
import { postgresSink } from '../src/postgres/index.ts';
import { postgresUrl, queryPostgres } from '../src/testing.ts';
import { describeWithPostgres } from '../src/testing-vitest.ts';

type Order = { id: number; name: string | null };

describeWithPostgres('sinkWriter from handleMessage, PostgreSQL', () => {
  let table: string | undefined;
  const open: { pipeline?: Pipeline; writer?: SinkWriter; sink?: Sink } = {};
  afterEach(async () => {
    await open.pipeline?.stop();
    await open.writer?.close();
    await open.sink?.close();
    if (table !== undefined) await queryPostgres(`DROP TABLE IF EXISTS ${table}`);
    table = undefined;
  });

  it('writes each acked message once, coalesced across concurrent calls; a refused row fails alone', async () => {
    table = `sluice_writer_${randomUUID().replaceAll('-', '')}`;
    await queryPostgres(`CREATE TABLE ${table} (id int NOT NULL, name text NOT NULL)`);
    const inner = postgresSink({
      url: postgresUrl(),
      table,
      columns: { id: 'id', name: 'name' },
    });
    const sizes: number[] = [];
    const sink: Sink = {
      name: inner.name,
      write: (messages, signal) => {
        sizes.push(messages.length);
        return inner.write(messages, signal);
      },
      close: () => inner.close(),
    };
    const writer = sinkWriter(sink, { maxBatchSize: 20 });
    Object.assign(open, { sink, writer });
    open.pipeline = createPipeline({
      name: `writer-${randomUUID()}`,
      producer: { module: testProducer() },
      processors: { default: { concurrency: 8 } },
      handleMessage: (_processor, message, _context, signal) => writer.write(message, signal),
    });
    await open.pipeline.start();

    const data: Order[] = Array.from({ length: 300 }, (_, id) => ({
      id,
      name: id === 123 ? null : `customer ${id}`,
    }));
    const { successful, failed } = await testBatch(open.pipeline, data);
    expect(failed.map((m) => m.data.id)).toEqual([123]);
    expect(String((failed[0]?.status as { reason: Error }).reason.message)).toMatch(/name/);
    const rows = await queryPostgres<{ id: number }>(`SELECT id FROM ${table} ORDER BY id`);
    const acked = successful.map((m) => m.data.id).sort((a, b) => a - b);
    expect(rows.map((r) => r.id)).toEqual(acked);
    expect(acked).toEqual(data.map((d) => d.id).filter((id) => id !== 123));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(20);
    console.info(
      `sinkWriter postgres: ${data.length} messages from 8 processors in ${sizes.length} writes (largest ${Math.max(...sizes)})`,
    );
  });
});
