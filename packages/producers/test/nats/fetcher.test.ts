import type { Logger } from '@sluice/core';
import { describe, expect, it, vi } from 'vitest';
import type { NatsMessage } from '../../src/nats/client.ts';
import { Fetcher } from '../../src/nats/fetcher.ts';
import { FakeNatsClient, fakeMessage } from './fake-nats.ts';

const warn = vi.fn();
const errorLog = vi.fn();
const logger = { warn, error: errorLog, info: vi.fn(), debug: vi.fn() } as unknown as Logger;

function fetcher(client: FakeNatsClient, got: NatsMessage[], maxMessages = 10, concurrent = 1) {
  return new Fetcher({
    client,
    stream: 'ORDERS',
    consumer: 'billing',
    index: 0,
    maxMessages,
    maxConcurrentFetches: concurrent,
    expiresMs: 1000,
    logger,
    onMessage: (m) => got.push(m),
    random: () => 0,
  });
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !condition(); i++) await new Promise((r) => setTimeout(r, 0));
  expect(condition()).toBe(true);
}

describe('Fetcher', () => {
  it('pulls the unmet demand, at most maxMessages a pull, and stops once it is met', async () => {
    const client = new FakeNatsClient();
    client.queue.push(...Array.from({ length: 30 }, (_, i) => fakeMessage(`m${i}`)));
    const got: NatsMessage[] = [];
    const f = fetcher(client, got);
    f.demand(25);
    await until(() => got.length === 25);
    await f.drain();
    expect(client.pulls).toEqual([10, 10, 5]);
    expect(f.unmet).toBe(0);
    expect(client.queue).toHaveLength(5);
  });

  it('adds up the demand of one event-loop turn into one pull, rather than a small pull for each', async () => {
    const client = new FakeNatsClient();
    client.queue.push(...Array.from({ length: 30 }, (_, i) => fakeMessage(`m${i}`)));
    const got: NatsMessage[] = [];
    const f = fetcher(client, got, 40, 4);
    for (let i = 0; i < 5; i++) f.demand(2);
    await until(() => got.length === 10);
    f.demand(3);
    f.demand(3);
    await until(() => got.length === 16);
    await f.drain();
    expect(client.pulls).toEqual([10, 6]);
  });

  it('runs up to maxConcurrentFetches pulls at once, each for demand the others have not asked for', async () => {
    const client = new FakeNatsClient();
    client.queue.push(...Array.from({ length: 30 }, (_, i) => fakeMessage(`m${i}`)));
    const got: NatsMessage[] = [];
    const f = fetcher(client, got, 10, 2);
    f.demand(25);
    // Pulled once the event-loop turn's demand is added up.
    await until(() => client.pulls.length === 2);
    expect(client.pulls).toEqual([10, 10]);
    await until(() => got.length === 25);
    await f.drain();
    expect(client.pulls).toEqual([10, 10, 5]);
  });

  it('goes on pulling after a failed pull, and reports it', async () => {
    const client = new FakeNatsClient();
    client.failures.push(new Error('connection lost'));
    client.queue.push(fakeMessage('a'));
    const got: NatsMessage[] = [];
    const f = fetcher(client, got);
    f.demand(1);
    await until(() => got.length === 1);
    await f.drain();
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it('reports not connected from a failed pull until a pull succeeds', async () => {
    const client = new FakeNatsClient();
    client.failures.push(new Error('connection lost'));
    const got: NatsMessage[] = [];
    const f = fetcher(client, got);
    expect(f.connected).toBe(true);
    f.demand(1);
    await until(() => !f.connected);
    client.queue.push(fakeMessage('a'));
    await until(() => got.length === 1);
    await until(() => f.connected);
    await f.drain();
  });

  it('drain() ends a pull that waits for messages', async () => {
    const client = new FakeNatsClient();
    const f = fetcher(client, []);
    f.demand(5);
    await f.drain();
    const pulls = client.pulls.length;
    await new Promise((r) => setTimeout(r, 5));
    expect(client.pulls.length).toBe(pulls);
  });
});
