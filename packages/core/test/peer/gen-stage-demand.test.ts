/**
 * gen_stage's test/gen_stage_test.exs, translated: describe blocks
 * "producer-to-consumer demand" and "demand" (demand modes).
 *
 * `GenStage.sync_subscribe` / `async_subscribe` both become `stage.subscribe`,
 * which returns the subscription at once (the subscription is then made in
 * mailbox order). A raw `{:"$gen_producer", _, {:subscribe, ...}}` subscriber
 * that never asks becomes a consumer with manual demand that never asks.
 * `GenStage.demand(stage, mode)` is `stage.setDemandMode(mode)`, and
 * `GenStage.demand(stage)` is `stage.demandMode` read after a round trip.
 *
 * Nothing in these blocks is skipped.
 */
import { describe, expect, it } from 'vitest';
import { BroadcastDispatcher } from '../../src/stage/index.ts';
import {
  ANY,
  Mailbox,
  asyncQueue,
  counter,
  demandProducer,
  forwarder,
  nothingProducer,
  quiesce,
  range,
  sleeper,
} from './gen-stage-helpers.ts';

describe('gen_stage_test.exs: producer-to-consumer demand', () => {
  // gen_stage_test.exs: "producer-to-consumer demand: with default max and min demand"
  it('with default max and min demand', async () => {
    const self = new Mailbox();
    const p = counter(0);
    forwarder(self, { subscribeTo: [p] });
    await self.receive(['consumed', range(0, 499)]);
    await self.receive(['consumed', range(500, 999)]);
  });

  // gen_stage_test.exs: "producer-to-consumer demand: with 80% min demand"
  it('with 80% min demand', async () => {
    const self = new Mailbox();
    const p = counter(0);
    forwarder(self, { subscribeTo: [[p, { minDemand: 80, maxDemand: 100 }]] });
    await self.receive(['consumed', range(0, 19)]);
    await self.receive(['consumed', range(20, 39)]);
    await self.receive(['consumed', range(1000, 1019)]);
  });

  // gen_stage_test.exs: "producer-to-consumer demand: with 20% min demand"
  it('with 20% min demand', async () => {
    const self = new Mailbox();
    const p = counter(0);
    forwarder(self, { subscribeTo: [[p, { minDemand: 20, maxDemand: 100 }]] });
    await self.receive(['consumed', range(0, 79)]);
    await self.receive(['consumed', range(80, 99)]);
    await self.receive(['consumed', range(100, 179)]);
    await self.receive(['consumed', range(180, 259)]);
    await self.receive(['consumed', range(260, 279)]);
  });

  // gen_stage_test.exs: "producer-to-consumer demand: with 1 max and 0 min demand"
  it('with 1 max and 0 min demand', async () => {
    const self = new Mailbox();
    const p = counter(0);
    const c = forwarder(self);
    c.subscribe(p, { maxDemand: 1, minDemand: 0 });
    await self.receive(['consumed', [0]]);
    await self.receive(['consumed', [1]]);
    await self.receive(['consumed', [2]]);
  });

  // gen_stage_test.exs: "producer-to-consumer demand: with shared (broadcast) demand"
  it('with shared (broadcast) demand', async () => {
    const self = new Mailbox();
    const p = counter(0, { dispatcher: new BroadcastDispatcher() });
    const c1 = forwarder(self);
    const c2 = forwarder(self);
    c1.subscribe(p, { maxDemand: 10, minDemand: 0 });
    c2.subscribe(p, { maxDemand: 20, minDemand: 0 });
    // The subscriptions race, so the original checks a later chunk only.
    await self.receive(['consumed', range(1000, 1009)]);
    await self.receive(['consumed', range(1000, 1009)]);
  });

  // gen_stage_test.exs: "producer-to-consumer demand: with shared (broadcast) demand and synchronizer subscriber"
  it('with shared (broadcast) demand and synchronizer subscriber', async () => {
    const self = new Mailbox();
    const p = counter(0, { dispatcher: new BroadcastDispatcher() });
    const c1 = forwarder(self);
    const c2 = forwarder(self);
    // A subscriber that never asks (the original sends a raw subscribe).
    const stale = forwarder(new Mailbox(), { consumerDemand: 'manual' });
    const staleSub = stale.subscribe(p, { cancel: 'temporary' });
    await quiesce(stale, p);
    // Further subscriptions get nothing while it has no demand.
    c1.subscribe(p, { maxDemand: 10, minDemand: 0 });
    c2.subscribe(p, { maxDemand: 20, minDemand: 0 });
    await quiesce(c1, c2, p);
    self.refute(['consumed', ANY]);
    // Cancel the stale one.
    stale.cancel(staleSub, 'killed');
    await self.receive(['consumed', range(1000, 1009)]);
    await self.receive(['consumed', range(1000, 1009)]);
  });

  // gen_stage_test.exs: "producer-to-consumer demand: with shared (broadcast) demand does not result in duplicate upstream demand"
  it('with shared (broadcast) demand does not result in duplicate upstream demand', async () => {
    const self = new Mailbox();
    const p = nothingProducer(self, { dispatcher: new BroadcastDispatcher() });
    const c1 = sleeper(self);
    const c2 = sleeper(self);
    c1.subscribe(p, { maxDemand: 10, minDemand: 0 });
    c2.subscribe(p, { maxDemand: 20, minDemand: 0 });
    // The common demand of 10 goes upstream once (the sleepers never ask again).
    await self.receive(['demand', 10]);
    await quiesce(p);
    self.refute(['demand', ANY]);
  });
});

describe('gen_stage_test.exs: demand', () => {
  // gen_stage_test.exs: "demand: can be set to :accumulate on init"
  it('can be set to :accumulate on init', async () => {
    const self = new Mailbox();
    const p = counter(0, { demand: 'accumulate' });
    await quiesce(p);
    expect(p.demandMode).toBe('accumulate');
    const c = forwarder(self);
    c.subscribe(p, { maxDemand: 4, minDemand: 0 });
    await quiesce(c, p);
    self.refute(['consumed', [0, 1, 2, 3]]);
    p.setDemandMode('forward');
    await quiesce(p);
    expect(p.demandMode).toBe('forward');
    await self.receive(['consumed', [0, 1, 2, 3]]);
  });

  // gen_stage_test.exs: "demand: can be set to :accumulate via API using broadcast"
  it('can be set to :accumulate via API using broadcast', async () => {
    const self = new Mailbox();
    const p = counter(self, { dispatcher: new BroadcastDispatcher() });
    await quiesce(p);
    expect(p.demandMode).toBe('forward');
    const c1 = forwarder(self, { subscribeTo: [p] });
    const c2 = forwarder(self, { subscribeTo: [p] });
    p.setDemandMode('accumulate');
    await quiesce(p);
    expect(p.demandMode).toBe('accumulate');

    await c1.stop();
    await c2.stop();

    asyncQueue(p, [1]);
    asyncQueue(p, [2]);
    asyncQueue(p, [3]);
    asyncQueue(p, [4]);

    await quiesce(p);
    forwarder(self, { subscribeTo: [p] });
    forwarder(self, { subscribeTo: [p] });
    await quiesce(p);
    self.refute(['consumed', ANY]);

    p.setDemandMode('forward');
    await quiesce(p);
    expect(p.demandMode).toBe('forward');
    // The original reads the buffer with :sys.get_state: it is empty.
    expect(p.estimateBufferedCount()).toBe(0);
    // Each emission made while accumulating is replayed on its own.
    await self.receive(['consumed', [1]]);
    await self.receive(['consumed', [2]]);
    await self.receive(['consumed', [3]]);
    await self.receive(['consumed', [4]]);
  });

  // gen_stage_test.exs: "demand: can be set to :accumulate via API"
  it('can be set to :accumulate via API', async () => {
    const self = new Mailbox();
    const p = counter(0);
    await quiesce(p);
    expect(p.demandMode).toBe('forward');
    p.setDemandMode('accumulate');
    await quiesce(p);
    expect(p.demandMode).toBe('accumulate');
    const c = forwarder(self);
    c.subscribe(p, { maxDemand: 4, minDemand: 0 });
    await quiesce(c, p);
    self.refute(['consumed', [0, 1, 2, 3]]);
    p.setDemandMode('forward');
    await quiesce(p);
    expect(p.demandMode).toBe('forward');
    await self.receive(['consumed', [0, 1, 2, 3]]);
  });

  // gen_stage_test.exs: "demand: can be set to :forward via API before subscriptions"
  it('can be set to :forward via API before subscriptions', async () => {
    const self = new Mailbox();
    const p = counter(0, { demand: 'accumulate' });
    await quiesce(p);
    expect(p.demandMode).toBe('accumulate');
    p.setDemandMode('forward');
    await quiesce(p);
    expect(p.demandMode).toBe('forward');
    const c = forwarder(self);
    c.subscribe(p, { maxDemand: 4, minDemand: 0 });
    await self.receive(['consumed', [0, 1, 2, 3]]);
  });

  // gen_stage_test.exs: "demand: is not reset when set to :accumulate and is already accumulating"
  it('is not reset when set to :accumulate and is already accumulating', async () => {
    const self = new Mailbox();
    const p = counter(0, { demand: 'accumulate' });
    const c = forwarder(self);
    c.subscribe(p, { maxDemand: 4, minDemand: 0 });
    await quiesce(c, p);
    self.refute(['consumed', [0, 1, 2, 3]]);
    p.setDemandMode('accumulate');
    p.setDemandMode('forward');
    await self.receive(['consumed', [0, 1, 2, 3]]);
  });

  // gen_stage_test.exs: "demand: does not combine demands when accumulating"
  it('does not combine demands when accumulating', async () => {
    const self = new Mailbox();
    const p = demandProducer({ demand: 'accumulate' });
    const c1 = forwarder(self);
    const c2 = forwarder(self);
    c1.subscribe(p, { maxDemand: 2 });
    c2.subscribe(p, { maxDemand: 2 });
    await quiesce(c1, c2, p);
    self.refute(['consumed', [4]]);
    self.refute(['consumed', [1]]);
    p.setDemandMode('forward');
    await self.receive(['consumed', [2]]);
    await self.receive(['consumed', [2]]);
    await self.receive(['consumed', [1]]);
  });
});
