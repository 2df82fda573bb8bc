/**
 * The service goes away mid-run: nothing is lost. Every message is either
 * written and acked, or failed; failed messages, pushed again as a
 * producer would redeliver them, are written once the service is back.
 * The HTTP server is the test's own, stopped mid-run; PostgreSQL's
 * session is ended mid-batch with pg_terminate_backend (its own backend
 * only, from a trigger, so no other connection to the shared server is
 * touched).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPipeline, type Message, type Pipeline } from '@sluice/core';
import { testBatch, testProducer } from '@sluice/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { sinkHandler, type Sink } from '../src/index.ts';
import { httpSink } from '../src/http/index.ts';
import { postgresSink } from '../src/postgres/index.ts';
import { postgresUrl, queryPostgres } from '../src/testing.ts';
import { describeWithPostgres } from '../src/testing-vitest.ts';

type Order = { id: number };
const orders = (from: number, to: number): Order[] =>
  Array.from({ length: to - from }, (_, i) => ({ id: from + i }));
const ids = (messages: readonly Message<Order>[]) => messages.map((m) => m.data.id);

const open: { pipeline?: Pipeline | undefined; sink?: Sink | undefined; servers: Server[] } = {
  servers: [],
};
afterEach(async () => {
  await open.pipeline?.stop();
  await open.sink?.close();
  for (const s of open.servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  open.pipeline = undefined;
  open.sink = undefined;
  open.servers = [];
});

async function start(sink: Sink, batchSize: number): Promise<Pipeline> {
  open.sink = sink;
  open.pipeline = createPipeline({
    name: `loss-${randomUUID()}`,
    producer: { module: testProducer() },
    processors: { default: {} },
    batchers: { out: { batchSize, batchTimeout: 60_000 } },
    handleMessage: (_p, m) => m.putBatcher('out'),
    handleBatch: sinkHandler(sink),
  });
  await open.pipeline.start();
  return open.pipeline;
}

/** Pushes `data`, then what failed again (a redelivery), until all is acked; returns the rounds. */
async function deliver(
  pipeline: Pipeline,
  data: readonly Order[],
  between: (round: number) => Promise<void>,
): Promise<{ acked: number[]; failedFirst: number[] }> {
  const acked: number[] = [];
  let failedFirst: number[] = [];
  let pending = data;
  for (let round = 0; pending.length > 0; round++) {
    if (round > 3) throw new Error(`still failing after ${round} rounds: ${pending.length}`);
    const { successful, failed } = await testBatch(pipeline, pending);
    acked.push(...ids(successful));
    if (round === 0) failedFirst = ids(failed);
    pending = failed.map((m) => m.data);
    if (pending.length > 0) await between(round);
  }
  return { acked, failedFirst };
}

describe('http sink, server stopped mid-run', () => {
  it('acks only what the server took; the rest fails and is written once it is back', async () => {
    const received: number[] = [];
    let requests = 0;
    const serve = (port: number, stopAfter?: number) =>
      new Promise<Server>((resolve) => {
        const server = createServer((req, res) => {
          const chunks: Buffer[] = [];
          req.on('data', (c: Buffer) => chunks.push(c));
          req.on('end', () => {
            const body = JSON.parse(Buffer.concat(chunks).toString()) as Order[];
            received.push(...body.map((o) => o.id));
            res.end('ok');
            requests += 1;
            if (requests === stopAfter) {
              // The service goes away: no new connections, open ones cut.
              server.close();
              server.closeAllConnections();
            }
          });
        });
        open.servers.push(server);
        server.listen(port, '127.0.0.1', () => resolve(server));
      });
    const first = await serve(0, 3);
    const { port } = first.address() as AddressInfo;
    const sink = httpSink({
      url: `http://127.0.0.1:${port}/ingest`,
      concurrency: 1,
      retries: 1,
      retryBackoff: { initial: 1, max: 1 },
    });
    const pipeline = await start(sink, 10);
    const data = orders(0, 100);
    const { acked, failedFirst } = await deliver(pipeline, data, async (round) => {
      if (round === 0) await serve(port);
    });
    expect(failedFirst.length).toBeGreaterThan(0);
    expect(new Set(acked)).toEqual(new Set(data.map((d) => d.id)));
    expect(acked).toHaveLength(100);
    // Everything acked was received; nothing acked was missing at the server.
    const got = new Set(received);
    for (const id of acked) expect(got.has(id)).toBe(true);
  });
});

describeWithPostgres('postgres sink, session terminated mid-batch', () => {
  let table: string | undefined;
  afterEach(async () => {
    if (table === undefined) return;
    await queryPostgres(`DROP TABLE IF EXISTS ${table}`);
    await queryPostgres(`DROP FUNCTION IF EXISTS ${table}_kill()`);
    await queryPostgres(`DROP SEQUENCE IF EXISTS ${table}_once`);
    table = undefined;
  });

  it('fails the batch whose session died, acks the rest; redelivered, every row lands once', async () => {
    table = `sluice_loss_${randomUUID().replaceAll('-', '')}`;
    await queryPostgres(`CREATE TABLE ${table} (id int PRIMARY KEY)`);
    await queryPostgres(`CREATE SEQUENCE ${table}_once`);
    // The first insert of row 25 ends its own session, as an admin's
    // pg_terminate_backend would; sequences are not rolled back, so the
    // redelivered row goes in.
    await queryPostgres(`CREATE FUNCTION ${table}_kill() RETURNS trigger AS $$
      BEGIN
        IF NEW.id = 25 AND nextval('${table}_once') = 1 THEN
          PERFORM pg_terminate_backend(pg_backend_pid());
        END IF;
        RETURN NEW;
      END $$ LANGUAGE plpgsql`);
    await queryPostgres(
      `CREATE TRIGGER kill BEFORE INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION ${table}_kill()`,
    );
    const sink = postgresSink({ url: postgresUrl(), table, columns: { id: 'id' }, concurrency: 1 });
    const pipeline = await start(sink, 10);
    const data = orders(0, 50);
    const { acked, failedFirst } = await deliver(pipeline, data, () => Promise.resolve());
    // One batch of 10 failed: the one holding row 25.
    expect(failedFirst).toHaveLength(10);
    expect(failedFirst).toContain(25);
    expect(acked).toHaveLength(50);
    const rows = await queryPostgres<{ id: number }>(`SELECT id FROM ${table} ORDER BY id`);
    expect(rows.map((r) => r.id)).toEqual(data.map((d) => d.id));
  });
});
