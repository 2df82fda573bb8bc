/**
 * gen_stage's test/gen_stage_test.exs, translated: describe blocks
 * "sync_subscribe/2", "sync_resubscribe/2", "async_resubscribe/2" and
 * "manual demand", and the regression test for a cancel issued right after
 * subscribe.
 *
 * Sluice's `stage.subscribe` returns the subscription at once (the reference
 * `sync_subscribe` returns); it is also the `async_subscribe` form. GenStage's
 * `{:EXIT, consumer, reason}` is the consumer's `join()` / `exitReason`.
 * `sync_resubscribe(consumer, ref, reason, opts)` is its two halves:
 * `consumer.cancel(old, reason)` then `consumer.subscribe(...)`.
 *
 * Skipped (OTP mechanics):
 * - "sync_subscribe/2: caller exits when the consumer is dead": `sync_subscribe`
 *   is a GenServer call that exits the caller with `:noproc`; Sluice's
 *   subscribe is the cast form (`async_subscribe`), for which OTP drops the
 *   message to a dead process as well.
 * - "sync_subscribe/2: consumer exits when there is no named producer and
 *   subscription is permanent": registered names.
 * - "sync_subscribe/2: consumer does not exit when there is no named producer
 *   and subscription is temporary": registered names.
 * - "$gen_producer message errors: duplicated subscriptions", "... unknown
 *   demand", "... not a producer", "$gen_consumer message errors: unknown
 *   events", "... not a consumer": raw `{:"$gen_producer", ...}` /
 *   `{:"$gen_consumer", ...}` protocol messages, which Sluice's envelopes are
 *   private and cannot be forged.
 */
import { describe, expect, it } from 'vitest';
import { InvalidOptionsError } from '../../src/index.ts';
import {
  BroadcastDispatcher,
  consumer,
  producer,
  type Cancellation,
  type Subscription,
} from '../../src/stage/index.ts';
import { memoryLogger } from '../helpers.ts';
import {
  ANY,
  Mailbox,
  counter,
  forwarder,
  forwarderAsk,
  quiesce,
  range,
  track,
  waitFor,
} from './gen-stage-helpers.ts';

describe('gen_stage_test.exs: sync_subscribe/2', () => {
  // gen_stage_test.exs: "sync_subscribe/2: returns ok with reference"
  it('returns ok with reference', () => {
    const self = new Mailbox();
    const p = counter(0);
    const c = forwarder(self);
    const ref = c.subscribe(p);
    expect(typeof ref.id).toBe('number');
    expect(ref).toMatchObject({ producer: p, consumer: c });
  });

  // gen_stage_test.exs: "sync_subscribe/2: returns errors on bad options"
  it('returns errors on bad options', () => {
    const self = new Mailbox();
    const p = counter(0);
    const c = forwarder(self);
    expect(() => c.subscribe(p, { maxDemand: 0 })).toThrow(InvalidOptionsError);
    expect(() => c.subscribe(p, { maxDemand: 0 })).toThrow(/maxDemand/);
    expect(() => c.subscribe(p, { minDemand: 2000 })).toThrow(InvalidOptionsError);
    expect(() => c.subscribe(p, { minDemand: 2000 })).toThrow(/minDemand/);
  });

  // gen_stage_test.exs: "sync_subscribe/2: consumer exits when producer is dead and subscription is permanent"
  it('consumer exits when producer is dead and subscription is permanent', async () => {
    const self = new Mailbox();
    const p = counter(0);
    await p.stop();
    const c = forwarder(self);
    c.subscribe(p);
    // GenStage: {:EXIT, consumer, :noproc}, logging that the producer "is not alive".
    await expect(c.join()).rejects.toThrow(/not alive/);
  });

  // gen_stage_test.exs: "sync_subscribe/2: consumer does not exit when producer is dead and subscription is temporary"
  it('consumer does not exit when producer is dead and subscription is temporary', async () => {
    const self = new Mailbox();
    const p = counter(0);
    await p.stop();
    const c = forwarder(self);
    const ref = c.subscribe(p, { cancel: 'temporary' });
    expect(ref).toMatchObject({ producer: p, consumer: c });
    await quiesce(c);
    expect(c.stopped).toBe(false);
  });

  // gen_stage_test.exs: "sync_subscribe/2: handles subscription error gracefully"
  it('handles subscription error gracefully', async () => {
    const self1 = new Mailbox();
    const self2 = new Mailbox();
    const p = counter(0, { dispatcher: new BroadcastDispatcher() });
    const c1 = forwarder(self1);
    const c2 = forwarder(self2);

    c1.subscribe(p);
    // The duplicate is refused; the consumer keeps its first subscription.
    c1.subscribe(p);
    c2.subscribe(p);
    c2.subscribe(p);
    await quiesce(c1, c2, p);

    // The original reads both states with :sys.get_state: the producer has
    // both consumers and each consumer one producer. Here: both consumers run,
    // and each still receives the producer's events, once each.
    expect(c1.stopped).toBe(false);
    expect(c2.stopped).toBe(false);
    self1.messages.length = 0;
    self2.messages.length = 0;
    const [, events1] = (await self1.receive(['consumed', ANY])) as [string, number[]];
    const [, events2] = (await self2.receive(['consumed', ANY])) as [string, number[]];
    for (const events of [events1, events2]) {
      expect(events).toEqual(range(events[0] ?? 0, (events[0] ?? 0) + events.length - 1));
    }
  });
});

describe('gen_stage_test.exs: sync_resubscribe/2', () => {
  // gen_stage_test.exs: "sync_resubscribe/2: returns ok with reference"
  it('returns ok with reference', async () => {
    const self = new Mailbox();
    const p = counter(0);
    const c = forwarder(self);
    const oldRef = c.subscribe(p, { cancel: 'temporary' });
    c.cancel(oldRef, 'resubscribe');
    const newRef = c.subscribe(p);
    expect(newRef).not.toBe(oldRef);
    await self.receive(['consumer_subscribed', oldRef]);
    await self.receive(['consumer_subscribed', newRef]);
  });

  // gen_stage_test.exs: "sync_resubscribe/2: returns ok with reference even if previous subscription does not exist"
  it('returns ok with reference even if previous subscription does not exist', async () => {
    const self = new Mailbox();
    const p = counter(0);
    const c = forwarder(self);
    c.cancel(unknownSubscription(p, c), 'resubscribe');
    const ref = c.subscribe(p);
    await self.receive(['consumer_subscribed', ref]);
  });

  // gen_stage_test.exs: "sync_resubscribe/2: returns errors on bad options"
  it('returns errors on bad options', () => {
    const self = new Mailbox();
    const p = counter(0);
    const c = forwarder(self);
    c.cancel(unknownSubscription(p, c), 'resubscribe');
    expect(() => c.subscribe(p, { maxDemand: 0 })).toThrow(/maxDemand/);
    c.cancel(unknownSubscription(p, c), 'resubscribe');
    expect(() => c.subscribe(p, { minDemand: 2000 })).toThrow(/minDemand/);
  });
});

describe('gen_stage_test.exs: async_resubscribe/2', () => {
  // gen_stage_test.exs: "async_resubscribe/2: returns ok with reference"
  it('returns ok with reference', async () => {
    const self = new Mailbox();
    const p = counter(0);
    const c = forwarder(self);
    const oldRef = c.subscribe(p, { cancel: 'temporary' });
    c.cancel(oldRef, 'resubscribe');
    c.subscribe(p);
    await self.receive(['consumer_subscribed', oldRef]);
    await self.receive(['consumer_subscribed', (ref: unknown) => ref !== oldRef]);
  });

  // gen_stage_test.exs: "async_resubscribe/2: returns ok with reference even if previous subscription does not exist"
  it('returns ok with reference even if previous subscription does not exist', async () => {
    const self = new Mailbox();
    const p = counter(0);
    const c = forwarder(self);
    c.cancel(unknownSubscription(p, c), 'resubscribe');
    c.subscribe(p);
    await self.receive(['consumer_subscribed', ANY]);
  });
});

/** A subscription reference that was never made (`make_ref()` in the original). */
function unknownSubscription(p: unknown, c: unknown): Subscription {
  return {
    id: -1,
    producer: p,
    consumer: c,
    options: { maxDemand: 1000, minDemand: 500, cancel: 'permanent' },
  } as Subscription;
}

describe('gen_stage_test.exs: manual demand', () => {
  // gen_stage_test.exs: "manual demand: can be set on subscribe"
  it('can be set on subscribe', async () => {
    const self = new Mailbox();
    const p = counter(0);
    const c = forwarder(self, { consumerDemand: 'manual' });
    c.subscribe(p);

    const [, sub] = (await self.receive(['consumer_subscribed', ANY])) as [string, Subscription];
    await forwarderAsk(c, sub, 50);
    await self.receive(['consumed', range(0, 49)]);
    await forwarderAsk(c, sub, 50);
    await self.receive(['consumed', range(50, 99)]);
  });

  // gen_stage_test.exs: "manual demand: can be set on subscribe on init"
  it('can be set on subscribe on init', async () => {
    const self = new Mailbox();
    const p = counter(0);
    const c = forwarder(self, { consumerDemand: 'manual', subscribeTo: [p] });

    const [, sub] = (await self.receive(['consumer_subscribed', ANY])) as [string, Subscription];
    await forwarderAsk(c, sub, 50);
    await self.receive(['consumed', range(0, 49)]);
    await forwarderAsk(c, sub, 50);
    await self.receive(['consumed', range(50, 99)]);
  });
});

describe('regression: a cancel issued right after subscribe', () => {
  // Not in gen_stage_test.exs. In GenStage a cancel sent after sync_subscribe
  // always reaches the producer after the subscription; Sluice's subscribe
  // returns the subscription at once, so a cancel made with it right away
  // must not be lost either.
  it('ends the subscription: handleCancel runs on both sides and no more events flow', async () => {
    let next = 0;
    const producerCancels: Cancellation[] = [];
    const consumerCancels: Cancellation[] = [];
    let got = 0;
    const p = track(
      producer<number>(
        {
          handleDemand: (d) => Array.from({ length: d }, () => next++),
          handleCancel(cancellation) {
            producerCancels.push(cancellation);
          },
          handleCall: () => ({ reply: 'pong' }),
        },
        { logger: memoryLogger() },
      ),
    );
    const c = track(
      consumer<number>(
        {
          handleEvents(events) {
            got += events.length;
          },
          handleCancel(cancellation) {
            consumerCancels.push(cancellation);
          },
          handleCall: () => ({ reply: 'pong' }),
        },
        { logger: memoryLogger() },
      ),
    );
    const sub = c.subscribe(p, { cancel: 'temporary' });
    c.cancel(sub);

    await waitFor(
      () => producerCancels.length > 0 && consumerCancels.length > 0,
      'handleCancel on both sides',
    );
    expect(producerCancels).toEqual([{ kind: 'cancel', reason: 'normal' }]);
    expect(consumerCancels).toEqual([{ kind: 'cancel', reason: 'normal' }]);
    // At most the first ask's worth of events was sent, and nothing after.
    await quiesce(c, p);
    const settled = got;
    expect(settled).toBeLessThanOrEqual(1000);
    await quiesce(c, p);
    expect(got).toBe(settled);
    expect(c.stopped).toBe(false);
  });
});
