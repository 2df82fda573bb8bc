import { Message, SluiceError, type Logger } from '@sluice/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { NatsAckOptions } from '../../src/nats/ack-options.ts';
import { NatsAcknowledger } from '../../src/nats/acknowledger.ts';
import { Heartbeats } from '../../src/nats/heartbeats.ts';
import { FakeNatsClient, fakeMessage, type FakeMessage } from './fake-nats.ts';

const warn = vi.fn();
const errorLog = vi.fn();
const logger = { warn, error: errorLog, info: vi.fn(), debug: vi.fn() } as unknown as Logger;

function setup(overrides: { deadLetterSubject?: string; confirmAcks?: boolean } = {}) {
  const client = new FakeNatsClient();
  const heartbeats = new Heartbeats(1000, true);
  const acknowledger = new NatsAcknowledger({
    client,
    heartbeats,
    stream: 'ORDERS',
    consumer: 'billing',
    maxAttempts: 3,
    retryBackoff: { initial: 100, max: 1000 },
    deadLetterSubject: overrides.deadLetterSubject,
    confirmAcks: overrides.confirmAcks ?? false,
    requestTimeout: 1000,
    logger,
  });
  const wrap = (m: FakeMessage) => {
    heartbeats.hold(m);
    return new Message<Uint8Array, Record<string, unknown>, NatsAckOptions>({
      data: m.data,
      acknowledger,
      ackData: { message: m },
    });
  };
  return { client, heartbeats, acknowledger, wrap };
}

describe('NatsAcknowledger', () => {
  afterEach(() => vi.clearAllMocks());

  it('acks successes and flushes once per group, releasing their heartbeats', async () => {
    const { client, heartbeats, acknowledger, wrap } = setup();
    const ms = [fakeMessage('a'), fakeMessage('b'), fakeMessage('c')];
    await acknowledger.ack(undefined, ms.map(wrap), []);
    expect(ms.map((m) => m.calls)).toEqual([['ack'], ['ack'], ['ack']]);
    expect(client.flushes).toBe(1);
    expect(heartbeats.size).toBe(0);
    heartbeats.stop();
  });

  it('confirms acks with ackAck when confirmAcks is set', async () => {
    const { client, acknowledger, wrap } = setup({ confirmAcks: true });
    const m = fakeMessage('a');
    await acknowledger.ack(undefined, [wrap(m)], []);
    expect(m.calls).toEqual(['ackAck']);
    expect(client.flushes).toBe(0);
  });

  it('naks a failure with the backoff delay of its delivery count', async () => {
    const { acknowledger, wrap } = setup({ deadLetterSubject: 'orders.dlq' });
    const first = fakeMessage('a', { deliveryCount: 1 });
    const second = fakeMessage('b', { deliveryCount: 2 });
    await acknowledger.ack(undefined, [], [wrap(first).fail('x'), wrap(second).fail('x')]);
    expect(first.calls).toEqual(['nak 100']);
    expect(second.calls).toEqual(['nak 200']);
  });

  it('publishes a message on its last attempt to the dead-letter subject with the reason, then terms it', async () => {
    const { client, acknowledger, wrap } = setup({ deadLetterSubject: 'orders.dlq' });
    const m = fakeMessage('a', { deliveryCount: 3, seq: 9, headers: { k: ['v'] } });
    await acknowledger.ack(undefined, [], [wrap(m).fail(new Error('bad order'))]);
    expect(client.published).toHaveLength(1);
    expect(client.published[0]!.subject).toBe('orders.dlq');
    expect(client.published[0]!.headers).toMatchObject({
      k: ['v'],
      'sluice-failure-reason': ['Error: bad order'],
      'sluice-source-sequence': ['9'],
    });
    expect(m.calls).toEqual(['term Error: bad order']);
  });

  it('terms without publishing when there is no dead-letter subject', async () => {
    const { client, acknowledger, wrap } = setup();
    const m = fakeMessage('a', { deliveryCount: 5 });
    await acknowledger.ack(undefined, [], [wrap(m).fail('gone')]);
    expect(client.published).toEqual([]);
    expect(m.calls).toEqual(['term gone']);
  });

  it('leaves a message unsettled, for redelivery, when the dead-letter publish fails', async () => {
    const { client, acknowledger, wrap } = setup({ deadLetterSubject: 'orders.dlq' });
    client.publishError = new Error('no stream');
    const m = fakeMessage('a', { deliveryCount: 3 });
    await acknowledger.ack(undefined, [], [wrap(m).fail('x')]);
    expect(m.calls).toEqual([]);
    expect(errorLog).toHaveBeenCalledTimes(1);
  });

  it("configureAck({ onSuccess: 'noop' }) leaves a success unacked and stops its heartbeat", async () => {
    const { client, heartbeats, acknowledger, wrap } = setup();
    const kept = fakeMessage('a');
    const acked = fakeMessage('b');
    await acknowledger.ack(
      undefined,
      [wrap(kept).configureAck({ onSuccess: 'noop' }), wrap(acked)],
      [],
    );
    expect(kept.calls).toEqual([]);
    expect(acked.calls).toEqual(['ack']);
    expect(client.flushes).toBe(1);
    expect(heartbeats.size).toBe(0);
    heartbeats.stop();
  });

  it("configureAck({ onFailure }) gives a failure up at once ('deadLetter') or acks it ('ack')", async () => {
    const { client, heartbeats, acknowledger, wrap } = setup({ deadLetterSubject: 'orders.dlq' });
    const dead = fakeMessage('a', { deliveryCount: 1 });
    const dropped = fakeMessage('b', { deliveryCount: 1 });
    const retried = fakeMessage('c', { deliveryCount: 1 });
    await acknowledger.ack(
      undefined,
      [],
      [
        wrap(dead).configureAck({ onFailure: 'deadLetter' }).fail(new Error('bad')),
        wrap(dropped).configureAck({ onFailure: 'ack' }).fail(new Error('skip')),
        wrap(retried).configureAck({ onFailure: 'retry' }).fail(new Error('later')),
      ],
    );
    expect(client.published.map((p) => p.subject)).toEqual(['orders.dlq']);
    expect(dead.calls).toEqual(['term Error: bad']);
    expect(dropped.calls).toEqual(['ack']);
    expect(retried.calls).toEqual(['nak 100']);
    expect(client.flushes).toBe(1);
    expect(heartbeats.size).toBe(0);
    heartbeats.stop();
  });

  it('configureAck names a bad option or value (ERR_INVALID_OPTIONS)', () => {
    const { wrap } = setup();
    const m = wrap(fakeMessage('a'));
    // @ts-expect-error -- not a NATS onFailure
    expect(() => m.configureAck({ onFailure: 'nak' })).toThrow(
      "configureAck: onFailure: expected one of 'retry', 'deadLetter', 'ack', got \"nak\"",
    );
    // @ts-expect-error -- not a NATS ack option
    expect(() => m.configureAck({ visibility: 1 })).toThrow(SluiceError);
    // @ts-expect-error -- not a NATS ack option
    expect(() => m.configureAck({ visibility: 1 })).toThrow('unknown NATS ack option visibility');
  });
});
