/**
 * The HTTP sink against a node:http server the test starts on loopback,
 * through a real pipeline: a 2xx acks, a 5xx or a dropped connection is
 * retried, a 4xx fails with its status, and nothing unconfirmed is acked.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPipeline, type Pipeline } from '@sluice/core';
import { testBatch, testProducer } from '@sluice/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { sinkHandler } from '../src/index.ts';
import { httpSink, type HttpSinkOptions } from '../src/http/index.ts';

type Reply = (body: unknown, res: ServerResponse, req: IncomingMessage) => void;

let server: Server | undefined;
let pipeline: Pipeline | undefined;
/** Every body the server received, parsed, in order. */
let received: unknown[] = [];

afterEach(async () => {
  await pipeline?.stop();
  pipeline = undefined;
  await new Promise((r) => (server === undefined ? r(undefined) : server.close(r)));
  server = undefined;
  received = [];
});

async function serve(reply: Reply): Promise<string> {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
      received.push(body);
      reply(body, res, req);
    });
  });
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server?.address() as AddressInfo).port}/ingest`;
}

async function start(options: HttpSinkOptions): Promise<Pipeline> {
  pipeline = createPipeline({
    name: 'http-sink',
    producer: { module: testProducer() },
    processors: { default: {} },
    batchers: { out: { batchSize: 10, batchTimeout: 10 } },
    handleMessage: (_p, m) => m.putBatcher('out'),
    handleBatch: sinkHandler(httpSink({ retryBackoff: { initial: 1, max: 2 }, ...options })),
  });
  await pipeline.start();
  return pipeline;
}

const reason = (m: { status: unknown }): Error & { code: string } =>
  (m.status as { reason: Error & { code: string } }).reason;

describe('http sink', () => {
  it('POSTs each batch as a JSON array and acks it on a 2xx', async () => {
    const url = await serve((_b, res) => res.writeHead(204).end());
    const p = await start({ url, headers: { 'x-test': 'yes' } });
    const data = [{ n: 1 }, { n: 2 }, { n: 3 }];
    const { successful, failed } = await testBatch(p, data);
    expect(failed).toEqual([]);
    expect(successful).toHaveLength(3);
    expect(received).toEqual([data]);
  });

  it('retries a 5xx with backoff and acks once the server accepts; each message written once', async () => {
    let calls = 0;
    const url = await serve((_b, res) => res.writeHead(++calls <= 2 ? 503 : 200).end('ok'));
    const p = await start({ url, retries: 3 });
    const { successful, failed } = await testBatch(p, [{ n: 1 }, { n: 2 }]);
    expect(failed).toEqual([]);
    expect(successful).toHaveLength(2);
    expect(calls).toBe(3);
  });

  it('fails the messages with the status in the reason on a 4xx, without retrying', async () => {
    const url = await serve((_b, res) => res.writeHead(422).end('field n is bad'));
    const p = await start({ url, retries: 3 });
    const { successful, failed } = await testBatch(p, [{ n: 1 }, { n: 2 }]);
    expect(successful).toEqual([]);
    expect(failed).toHaveLength(2);
    expect(reason(failed[0]!).code).toBe('ERR_SINK_REFUSED');
    expect(reason(failed[0]!).message).toMatch(
      /refused with HTTP 422 Unprocessable Entity: field n is bad/,
    );
    expect(received).toHaveLength(1);
  });

  it('per message: fails only the messages the server refused, acks the rest', async () => {
    const url = await serve((body, res) =>
      res.writeHead((body as { n: number }).n % 2 === 0 ? 400 : 201).end(),
    );
    const p = await start({ url, per: 'message' });
    const { successful, failed } = await testBatch(
      p,
      [1, 2, 3, 4, 5].map((n) => ({ n })),
    );
    expect(successful.map((m) => m.data)).toEqual([{ n: 1 }, { n: 3 }, { n: 5 }]);
    expect(failed.map((m) => m.data)).toEqual([{ n: 2 }, { n: 4 }]);
    expect(reason(failed[0]!).message).toMatch(/HTTP 400 Bad Request/);
  });

  it('fails the batch, acking nothing, once the retries are spent on a server that is not there', async () => {
    const url = await serve((_b, res) => res.end());
    const gone = url;
    await new Promise((r) => server?.close(r));
    server = undefined;
    const p = await start({ url: gone, retries: 2 });
    const { successful, failed } = await testBatch(p, [{ n: 1 }, { n: 2 }]);
    expect(successful).toEqual([]);
    expect(failed).toHaveLength(2);
    expect(reason(failed[0]!).code).toBe('ERR_SINK_UNAVAILABLE');
    expect(reason(failed[0]!).message).toMatch(/ECONNREFUSED.*\(after 3 tries\)/);
  });

  it('rejects bad options naming the option and the value', () => {
    expect(() => httpSink({ url: 'ftp://x', retries: -1 })).toThrow(
      /url: expected an http:\/\/ or https:\/\/ URL, got 'ftp:\/\/x'[\s\S]*retries: expected an integer from 0 to 20, got -1/,
    );
  });
});
