/**
 * gen_stage's test/gen_stage_test.exs, translated: describe blocks
 * "producer-producer_consumer-consumer demand" and "producer_consumer callbacks".
 *
 * `GenStage.sync_subscribe` and `async_subscribe` become `stage.subscribe`,
 * which returns the subscription at once; `GenStage.cancel({producer, ref},
 * reason)` is `stage.cancel(subscription, reason)`. `Process.exit(pid, reason)`
 * from outside (the stage dies without running its callbacks) is
 * `stage.kill(reason)`; a test's trapped `{:EXIT, pid, reason}` is the stage's
 * `exitReason` once it has stopped. The test process's pid, used as an
 * abnormal reason, is the test's Mailbox object.
 *
 * Skipped (OTP mechanics):
 * - "producer_consumer callbacks: init/1", the parts on `:ignore`, on an
 *   unknown init return (`{:bad_return_value, :unknown}`: `init` returns
 *   nothing in Sluice) and on `name:` / `{:already_started, pid}` (registered
 *   names). The `{:stop, :oops}` and bad-options parts are translated.
 * - "producer_consumer callbacks: format_status/2": `:sys.get_status`.
 *
 * A raw `{:"$gen_producer", _, {:subscribe, ...}}` subscriber that never asks
 * (the synchronizer tests) is a consumer with manual demand that never asks.
 */
import { describe, expect, it } from 'vitest';
import { InvalidOptionsError, SluiceError } from '../../src/index.ts';
import { BroadcastDispatcher, producerConsumer } from '../../src/stage/index.ts';
import { memoryLogger } from '../helpers.ts';
import {
  ANY,
  Mailbox,
  counter,
  discarder,
  doubled,
  doubler,
  doublerConsumer,
  forwarder,
  postponer,
  quiesce,
  syncSubscribe,
  range,
  sleeper,
  track,
  waitFor,
} from './gen-stage-helpers.ts';

describe('gen_stage_test.exs: producer-producer_consumer-consumer demand', () => {
  // gen_stage_test.exs: "producer-producer_consumer-consumer demand: with 80% min demand with init subscription"
  it('with 80% min demand with init subscription', async () => {
    const self = new Mailbox();
    const p = counter(0);
    const d = doubler(self, { subscribeTo: [[p, { maxDemand: 100, minDemand: 80 }]] });
    forwarder(self, { subscribeTo: [[d, { maxDemand: 100, minDemand: 50 }]] });

    await self.receive(['producer_consumed', range(0, 19)]);
    await self.receive(['consumed', doubled(0, 19)]);
    await self.receive(['consumed', doubled(20, 39)]);

    // GenStage then hands the consumer doubled(120..124) and doubled(125..139):
    // its producer-consumer runs a whole producer message ahead. Sluice's
    // does not (docs/architecture.md, "Producer-consumers"): "A
    // producer-consumer takes in events only while its own consumers have
    // demand, checked chunk by chunk, so back-pressure crosses it: it runs at
    // most one chunk ahead of its consumers." So what the consumer gets ends
    // exactly where its demand does: it has asked 100 + 80 + 80 = 260 events
    // (doubled 0..129), then 80 more, of which the buffered doubled 130..139
    // come first.
    await self.receive(['producer_consumed', range(100, 119)]);
    await self.receive(['consumed', doubled(120, 129)]);
    await self.receive(['consumed', doubled(130, 139)]);
  });

  // gen_stage_test.exs: "producer-producer_consumer-consumer demand: with 20% min demand with init subscription"
  it('with 20% min demand with init subscription', async () => {
    const self = new Mailbox();
    const p = counter(0);
    const d = doubler(self, { subscribeTo: [[p, { maxDemand: 100, minDemand: 20 }]] });
    forwarder(self, { subscribeTo: [[d, { maxDemand: 100, minDemand: 50 }]] });

    await self.receive(['producer_consumed', range(0, 79)]);
    await self.receive(['consumed', doubled(0, 24)]);
    await self.receive(['consumed', doubled(25, 49)]);
    await self.receive(['consumed', doubled(50, 74)]);
    await self.receive(['producer_consumed', range(100, 179)]);
  });

  // gen_stage_test.exs: "producer-producer_consumer-consumer demand: with 80% min demand with late subscription"
  it('with 80% min demand with late subscription', async () => {
    const self = new Mailbox();
    const p = counter(0);
    const d = doubler(self);
    const c = forwarder(self);
    // Consumer first.
    c.subscribe(d, { minDemand: 50, maxDemand: 100 });
    d.subscribe(p, { minDemand: 80, maxDemand: 100 });

    await self.receive(['producer_consumed', range(0, 19)]);
    await self.receive(['consumed', doubled(0, 19)]);
    await self.receive(['consumed', doubled(20, 39)]);

    // GenStage then hands the consumer doubled(120..124) and doubled(125..139):
    // its producer-consumer runs a whole producer message ahead. Sluice's
    // does not (docs/architecture.md, "Producer-consumers"): "A
    // producer-consumer takes in events only while its own consumers have
    // demand, checked chunk by chunk, so back-pressure crosses it: it runs at
    // most one chunk ahead of its consumers." So what the consumer gets ends
    // exactly where its demand does: it has asked 100 + 80 + 80 = 260 events
    // (doubled 0..129), then 80 more, of which the buffered doubled 130..139
    // come first.
    await self.receive(['producer_consumed', range(100, 119)]);
    await self.receive(['consumed', doubled(120, 129)]);
    await self.receive(['consumed', doubled(130, 139)]);
  });

  // gen_stage_test.exs: "producer-producer_consumer-consumer demand: with 20% min demand with later subscription"
  it('with 20% min demand with later subscription', async () => {
    const self = new Mailbox();
    const p = counter(0);
    const d = doubler(self);
    const c = forwarder(self);
    // Consumer first.
    c.subscribe(d, { minDemand: 50, maxDemand: 100 });
    d.subscribe(p, { minDemand: 20, maxDemand: 100 });

    await self.receive(['producer_consumed', range(0, 79)]);
    await self.receive(['consumed', doubled(0, 24)]);
    await self.receive(['consumed', doubled(25, 49)]);
    await self.receive(['consumed', doubled(50, 74)]);
    await self.receive(['producer_consumed', range(100, 179)]);
  });

  // gen_stage_test.exs: "producer-producer_consumer-consumer demand: stops asking when consumer stops asking"
  it('stops asking when consumer stops asking', async () => {
    const self = new Mailbox();
    const p = counter(0);
    const d = postponer(self, [[p, { maxDemand: 10, minDemand: 8 }]]);
    sleeper(self, [[d, { maxDemand: 10, minDemand: 5 }]]);

    await self.receive(['postponed', [0, 1]]);
    await self.receive(['sleep', [0, 1]]);
    await self.receive(['postponed', [2, 3]]);
    await self.receive(['postponed', [4, 5]]);
    await self.receive(['postponed', [6, 7]]);
    await self.receive(['postponed', [8, 9]]);
    await quiesce(d, p);
    self.refute(['sleep', [2, 3]]);
    self.refute(['postponed', [10, 11]]);
  });

  // gen_stage_test.exs: "producer-producer_consumer-consumer demand: keeps emitting events even when discarded"
  it('keeps emitting events even when discarded', async () => {
    const self = new Mailbox();
    const p = counter(0);
    const d = discarder(self, [[p, { maxDemand: 100, minDemand: 80 }]]);
    forwarder(self, { subscribeTo: [[d, { maxDemand: 100, minDemand: 50 }]] });

    await self.receive(['discarded', range(0, 19)]);
    await self.receive(['discarded', range(100, 119)]);
    await self.receive(['discarded', range(1000, 1019)]);
  });

  // gen_stage_test.exs: "producer-producer_consumer-consumer demand: with shared (broadcast) demand"
  it('with shared (broadcast) demand', async () => {
    const self = new Mailbox();
    const p = counter(0);
    const d = doubler(self, {
      dispatcher: new BroadcastDispatcher(),
      subscribeTo: [[p, { maxDemand: 10 }]],
    });
    const c1 = forwarder(self);
    const c2 = forwarder(self);
    c1.subscribe(d, { maxDemand: 10, minDemand: 0 });
    c2.subscribe(d, { maxDemand: 20, minDemand: 0 });
    // The subscriptions race, so the original checks a later chunk only.
    await self.receive(['consumed', doubled(200, 204)]);
    await self.receive(['consumed', doubled(200, 204)]);
  });

  // gen_stage_test.exs: "producer-producer_consumer-consumer demand: with shared (broadcast) demand and synchronizer subscriber"
  it('with shared (broadcast) demand and synchronizer subscriber', async () => {
    const self = new Mailbox();
    const p = counter(0);
    const d = doubler(self, { dispatcher: new BroadcastDispatcher(), subscribeTo: [p] });
    const c1 = forwarder(self);
    const c2 = forwarder(self);
    // A subscriber that never asks (the original sends a raw subscribe).
    const stale = forwarder(new Mailbox(), { consumerDemand: 'manual' });
    const staleSub = stale.subscribe(d, { cancel: 'temporary' });
    await quiesce(stale, d);
    // Further subscriptions get nothing while it has no demand.
    c1.subscribe(d, { maxDemand: 10, minDemand: 0 });
    c2.subscribe(d, { maxDemand: 20, minDemand: 0 });
    await quiesce(c1, c2, d);
    self.refute(['consumed', ANY]);
    // Cancel the stale one.
    stale.cancel(staleSub, 'killed');
    await self.receive(['consumed', doubled(200, 204)]);
    await self.receive(['consumed', doubled(200, 204)]);
  });

  // gen_stage_test.exs: "producer-producer_consumer-consumer demand: queued events with lost producer"
  it('queued events with lost producer', async () => {
    const self = new Mailbox();
    const p = counter(0);
    const d = doubler(self);
    const ref = d.subscribe(p, { cancel: 'temporary', minDemand: 50, maxDemand: 100 });
    await self.receive(['producer_consumer_subscribed', 'producer', ref]);

    // With no consumer, the events and then the cancel wait in its queue.
    d.cancel(ref, 'done');
    await quiesce(d, p);
    self.refute(['producer_consumer_cancelled', ref, { kind: 'cancel', reason: 'done' }]);
    self.refute(['producer_consumed', ANY]);

    const c = forwarder(self);
    c.subscribe(d, { minDemand: 50, maxDemand: 100 });

    // Either in one chunk or in two.
    const first = await self.receive([
      'producer_consumed',
      (events: unknown) => matchesRange(events, 0, 99) || matchesRange(events, 0, 49),
    ]);
    if ((first as [string, number[]])[1].length === 50) {
      await self.receive(['producer_consumed', range(50, 99)]);
    }
    await self.receive(['consumed', doubled(0, 24)]);
    await self.receive(['consumed', doubled(25, 49)]);
    await self.receive(['producer_consumer_cancelled', ref, { kind: 'cancel', reason: 'done' }]);
    await quiesce(d, p);
    self.refute(['producer_consumed', ANY]);
  });
});

function matchesRange(events: unknown, from: number, to: number): boolean {
  const want = range(from, to);
  return (
    Array.isArray(events) && events.length === want.length && events.every((e, i) => e === want[i])
  );
}

describe('gen_stage_test.exs: producer_consumer callbacks', () => {
  // gen_stage_test.exs: "producer_consumer callbacks: init/1"
  it('init/1', async () => {
    // {:stop, :oops}: the stage stops with that reason.
    const oops = new Error('oops');
    const stopped = track(
      producerConsumer<unknown, unknown>(
        {
          init() {
            throw oops;
          },
          handleEvents: (events) => events,
        },
        { logger: memoryLogger() },
      ),
    );
    await expect(stopped.join()).rejects.toBe(oops);
    expect(stopped.exitReason).toBe(oops);

    // Bad options are refused.
    expect(() =>
      producerConsumer({ handleEvents: (e: unknown[]) => e }, { unknown: 'value' } as never),
    ).toThrow(InvalidOptionsError);
    expect(() =>
      producerConsumer({ handleEvents: (e: unknown[]) => e }, { dispatcher: 0 } as never),
    ).toThrow(/dispatcher/);
  });

  // gen_stage_test.exs: "producer_consumer callbacks: producer handle_subscribe/4"
  it('producer handle_subscribe/4', async () => {
    const self = new Mailbox();
    const d = doubler(self);
    const c = forwarder(self);
    const ref = c.subscribe(d);
    await self.receive(['producer_consumer_subscribed', 'consumer', ref]);
  });

  // gen_stage_test.exs: "producer_consumer callbacks: producer handle_subscribe/4 does not accept manual demand"
  it('producer handle_subscribe/4 does not accept manual demand', async () => {
    const self = new Mailbox();
    const d = doubler(self, { demand: { as: 'consumer', mode: 'manual' } });
    const c = forwarder(self);
    const ref = c.subscribe(d);
    await self.receive(['producer_consumer_subscribed', 'consumer', ref]);
    await waitFor(() => d.stopped, 'the producer-consumer stopping');
    expectBadReturn(d.exitReason, 'manual');
  });

  // gen_stage_test.exs: "producer_consumer callbacks: producer handle_cancel/3"
  it('producer handle_cancel/3', async () => {
    const self = new Mailbox();
    const d = doubler(self);
    const c = forwarder(self);
    const ref = c.subscribe(d, { cancel: 'temporary' });
    await self.receive(['producer_consumer_subscribed', 'consumer', ref]);
    c.cancel(ref, 'oops');
    await self.receive(['producer_consumer_cancelled', ref, { kind: 'cancel', reason: 'oops' }]);
  });

  // gen_stage_test.exs: "producer_consumer callbacks: producer handle_cancel/3 on consumer down"
  it('producer handle_cancel/3 on consumer down', async () => {
    const self = new Mailbox();
    const d = doubler(self);
    const c = forwarder(self);
    const ref = c.subscribe(d, { cancel: 'temporary' });
    await self.receive(['producer_consumer_subscribed', 'consumer', ref]);
    await c.kill('killed');
    await self.receive([
      'producer_consumer_cancelled',
      ref,
      { kind: 'down', reason: (r: unknown) => r === 'killed' || r === 'noproc' },
    ]);
  });

  // gen_stage_test.exs: "producer_consumer callbacks: consumer handle_subscribe/4"
  it('consumer handle_subscribe/4', async () => {
    const self = new Mailbox();
    const p = counter(0);
    // The original starts the Doubler as a plain consumer here.
    const c = doublerConsumer(self);
    const ref = c.subscribe(p);
    await self.receive(['producer_consumer_subscribed', 'producer', ref]);
  });

  // gen_stage_test.exs: "producer_consumer callbacks: consumer handle_subscribe/4 with invalid demand"
  it('consumer handle_subscribe/4 with invalid demand', async () => {
    const self = new Mailbox();
    const p = counter(0);
    const d = doubler(self, { demand: { as: 'producer', mode: 'unknown' } });
    d.subscribe(p);
    await waitFor(() => d.stopped, 'the producer-consumer stopping');
    expectBadReturn(d.exitReason, 'unknown');
  });

  // gen_stage_test.exs: "producer_consumer callbacks: consumer handle_cancel/3 with temporary subscription"
  it('consumer handle_cancel/3 with temporary subscription', async () => {
    const self = new Mailbox();
    const p = counter(0);
    const d = doubler(self);
    forwarder(self, { subscribeTo: [d] });
    const ref = d.subscribe(p, { cancel: 'temporary' });
    d.cancel(ref, 'oops');
    await self.receive(['producer_consumer_cancelled', ref, { kind: 'cancel', reason: 'oops' }]);
  });

  // gen_stage_test.exs: "producer_consumer callbacks: consumer handle_cancel/3 with permanent subscription"
  it('consumer handle_cancel/3 with permanent subscription', async () => {
    const self = new Mailbox();
    const p = counter(0);
    const d = doubler(self);
    forwarder(self, { subscribeTo: [d] });
    const ref = d.subscribe(p, { cancel: 'permanent' });
    d.cancel(ref, self);
    await self.receive(['producer_consumer_cancelled', ref, { kind: 'cancel', reason: self }]);
    await waitFor(() => d.stopped, 'the producer-consumer stopping');
    expect(d.exitReason).toBe(self);
  });

  // gen_stage_test.exs: "producer_consumer callbacks: consumer handle_cancel/3 on producer down with temporary subscription"
  it('consumer handle_cancel/3 on producer down with temporary subscription', async () => {
    const self = new Mailbox();
    const p = counter(0);
    const d = doubler(self);
    forwarder(self, { subscribeTo: [d] });
    const ref = await syncSubscribe(d, p, { cancel: 'temporary' });
    await p.kill('killed');
    await self.receive(['producer_consumer_cancelled', ref, { kind: 'down', reason: 'killed' }]);
  });

  // gen_stage_test.exs: "producer_consumer callbacks: consumer handle_cancel/3 on producer normal down with transient subscription"
  it('consumer handle_cancel/3 on producer normal down with transient subscription', async () => {
    const self = new Mailbox();
    const p = counter(0);
    const d = doubler(self);
    forwarder(self, { subscribeTo: [d] });
    const ref = await syncSubscribe(d, p, { cancel: 'transient' });
    await p.kill('shutdown');
    await self.receive(['producer_consumer_cancelled', ref, { kind: 'down', reason: 'shutdown' }]);
  });

  // gen_stage_test.exs: "producer_consumer callbacks: consumer handle_cancel/3 on producer non-normal down with transient subscription"
  it('consumer handle_cancel/3 on producer non-normal down with transient subscription', async () => {
    const self = new Mailbox();
    const p = counter(0);
    const d = doubler(self);
    forwarder(self, { subscribeTo: [d] });
    const ref = await syncSubscribe(d, p, { cancel: 'transient' });
    await p.kill('killed');
    await self.receive(['producer_consumer_cancelled', ref, { kind: 'down', reason: 'killed' }]);
    await waitFor(() => d.stopped, 'the producer-consumer stopping');
    expect(d.exitReason).toBe('killed');
  });

  // gen_stage_test.exs: "producer_consumer callbacks: consumer handle_cancel/3 on producer down with permanent subscription"
  it('consumer handle_cancel/3 on producer down with permanent subscription', async () => {
    const self = new Mailbox();
    const p = counter(0);
    const d = doubler(self);
    forwarder(self, { subscribeTo: [d] });
    const ref = await syncSubscribe(d, p, { cancel: 'permanent' });
    await p.kill('killed');
    await self.receive(['producer_consumer_cancelled', ref, { kind: 'down', reason: 'killed' }]);
    await waitFor(() => d.stopped, 'the producer-consumer stopping');
    expect(d.exitReason).toBe('killed');
  });
});

/** The stage stopped with `{:bad_return_value, {returned, state}}`'s counterpart. */
function expectBadReturn(reason: unknown, returned: string): void {
  expect(reason).toBeInstanceOf(SluiceError);
  expect((reason as SluiceError).code).toBe('ERR_BAD_RETURN');
  expect((reason as SluiceError).message).toContain(returned);
}
