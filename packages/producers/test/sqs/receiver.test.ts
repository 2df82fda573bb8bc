import type { Logger } from '@sluice/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BrokerError } from '../../src/errors.ts';
import type { SqsClient, SqsMessage } from '../../src/sqs/client.ts';
import { Receiver } from '../../src/sqs/receiver.ts';

const queueUrl = 'http://sqs.test/000000000000/orders';

/** A client whose receives wait until the test settles them. */
function pendingClient() {
  const calls: { resolve: (m: SqsMessage[]) => void; reject: (e: unknown) => void }[] = [];
  const client = {
    receiveMessages: (_url: string, options: { signal?: AbortSignal }) =>
      new Promise<SqsMessage[]>((resolve, reject) => {
        calls.push({ resolve, reject });
        options.signal?.addEventListener('abort', () => reject(new Error('aborted')));
      }),
  } as unknown as SqsClient;
  return { client, calls };
}

function recordingLogger() {
  const warnings: { object: Record<string, unknown>; message: string | undefined }[] = [];
  const logger = {
    warn: (object: Record<string, unknown>, message?: string) => warnings.push({ object, message }),
  } as unknown as Logger;
  return { logger, warnings };
}

const message = (i: number): SqsMessage =>
  ({ messageId: `m${i}`, receiptHandle: `r${i}`, body: '', attributes: {} }) as SqsMessage;

describe('SQS Receiver after failed receives', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  function receiver(client: SqsClient, logger: Logger, got: SqsMessage[]) {
    return new Receiver({
      client,
      queueUrl,
      index: 0,
      logger,
      receive: { waitTimeSeconds: 20, messageAttributeNames: [], attributeNames: [] },
      maxNumberOfMessages: 10,
      maxConcurrentReceives: 10,
      receiveInterval: 0,
      onMessages: (messages) => got.push(...messages),
      random: () => 0.999_999,
    });
  }

  it('counts the receives that fail together as one round: one warning, the first pause', async () => {
    const { client, calls } = pendingClient();
    const { logger, warnings } = recordingLogger();
    const got: SqsMessage[] = [];
    const r = receiver(client, logger, got);
    r.demand(10);
    calls.shift()!.resolve([message(0)]); // the queue has messages: parallel receives next
    await vi.advanceTimersByTimeAsync(0);
    r.demand(90);
    await vi.advanceTimersByTimeAsync(0);
    expect(calls.length).toBe(10);

    const refused = new BrokerError('ERR_BROKER_UNREACHABLE', 'sqs', 'connect ECONNREFUSED');
    for (const call of calls.splice(0)) call.reject(refused);
    await vi.advanceTimersByTimeAsync(0);
    expect(warnings.map((w) => w.message)).toEqual(['SQS receive failed; retrying in 500 ms']);
    expect(warnings[0]!.object).toMatchObject({ failures: 1, retryInMs: 500 });

    // The endpoint is back: the next receive goes out after the first pause, not 15-30 s later.
    await vi.advanceTimersByTimeAsync(499);
    expect(calls.length).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls.length).toBeGreaterThan(0);
    calls.shift()!.resolve([message(1)]);
    await vi.advanceTimersByTimeAsync(0);
    expect(got.map((m) => m.messageId)).toEqual(['m0', 'm1']);
    await r.drain();
  });

  it('asks again for the demand of a call that fails after its round has paused and resumed', async () => {
    const { client, calls } = pendingClient();
    const { logger } = recordingLogger();
    const got: SqsMessage[] = [];
    const r = receiver(client, logger, got);
    r.demand(10);
    calls.shift()!.resolve([message(0)]);
    await vi.advanceTimersByTimeAsync(0);
    r.demand(20);
    await vi.advanceTimersByTimeAsync(0);
    expect(calls.length).toBe(3); // 2 for the demand, 1 for the receive plan's spare
    const [first, ...late] = calls.splice(0);
    const refused = new BrokerError('ERR_BROKER_UNREACHABLE', 'sqs', 'connect ECONNREFUSED');
    first!.reject(refused); // round 1: pause 500 ms
    await vi.advanceTimersByTimeAsync(500); // the pause ends; the other calls still hang
    const before = calls.length;
    for (const call of late) call.reject(refused); // the same outage, reported late
    await vi.advanceTimersByTimeAsync(0);
    expect(calls.length).toBeGreaterThan(before); // their demand is asked for again
    for (const call of calls.splice(0)) call.resolve([message(got.length)]);
    await vi.advanceTimersByTimeAsync(0);
    expect(got.length).toBeGreaterThan(1);
    await r.drain();
  });

  it('doubles the pause with each failed round, up to 10 s', async () => {
    const { client, calls } = pendingClient();
    const { logger, warnings } = recordingLogger();
    const r = receiver(client, logger, []);
    r.demand(10);
    const refused = new BrokerError('ERR_BROKER_UNREACHABLE', 'sqs', 'connect ECONNREFUSED');
    for (let round = 0; round < 7; round += 1) {
      await vi.advanceTimersByTimeAsync(0);
      expect(calls.length).toBe(1);
      calls.shift()!.reject(refused);
      await vi.advanceTimersByTimeAsync(0);
      await vi.advanceTimersByTimeAsync(warnings.at(-1)!.object['retryInMs'] as number);
    }
    expect(warnings.map((w) => w.object['retryInMs'])).toEqual([
      500, 1000, 2000, 4000, 8000, 10_000, 10_000,
    ]);
    await r.drain();
  });
});
