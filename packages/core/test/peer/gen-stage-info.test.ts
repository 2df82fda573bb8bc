/**
 * gen_stage's test/gen_stage_test.exs, translated: describe block "info".
 *
 * GenStage's `async_info(stage, msg)` is `stage.infoAfterBuffered(msg)`;
 * `sync_info` is the same followed by a call round trip through the stage
 * (it returns once the stage has queued the info). A raw
 * `{:"$gen_producer", _, {:subscribe, ...}}` subscriber that asks by hand with
 * `{:ask, n}` is a Forwarder with manual demand asking through
 * `forwarderAsk`; the events it gets are its `consumed` messages.
 *
 * Nothing in this block is skipped.
 */
import { describe, expect, it } from 'vitest';
import type { Stage, Subscription } from '../../src/stage/index.ts';
import {
  ANY,
  Mailbox,
  counter,
  doubler,
  forwarder,
  forwarderAsk,
  quiesce,
  syncQueue,
  waitFor,
} from './gen-stage-helpers.ts';

/** `GenStage.sync_info`: queue the info, then a round trip through the stage. */
async function syncInfo(
  stage: Stage<never, unknown> | Stage<unknown, unknown> | Stage<unknown, never>,
  message: unknown,
) {
  stage.infoAfterBuffered(message);
  await (stage as Stage).call('ping');
}

describe('gen_stage_test.exs: info', () => {
  // gen_stage_test.exs: "info: delivers info to consumer"
  it('delivers info to consumer', async () => {
    const self = new Mailbox();
    const c = forwarder(self);
    await syncInfo(c, 'sync');
    await self.receive('sync');
    c.infoAfterBuffered('async');
    await self.receive('async');
  });

  // gen_stage_test.exs: "info: delivers info to producer_consumer immediately when there is no incoming buffer"
  it('delivers info to producer_consumer immediately when there is no incoming buffer', async () => {
    const self = new Mailbox();
    const p = counter(0);
    const d = doubler(self, { subscribeTo: [p] });
    forwarder(self, { subscribeTo: [d] });
    await syncInfo(d, 'sync');
    await self.receive('sync');
    d.infoAfterBuffered('async');
    await self.receive('async');
  });

  // gen_stage_test.exs: "info: delivers info to producer_consumer immediately when there is incoming buffer"
  it('delivers info to producer_consumer immediately when there is incoming buffer', async () => {
    const self = new Mailbox();
    const p = counter(self);
    const d = doubler(self, { subscribeTo: [p] });

    // Once the producer has the subscription, the queued events go to the
    // producer-consumer, which has no consumer yet and keeps them.
    await self.receive(['producer_subscribed', (s: unknown) => (s as Subscription).consumer === d]);
    await syncQueue(p, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);

    await syncInfo(d, 'sync');
    await quiesce(d);
    self.refute('sync');

    d.infoAfterBuffered('async');
    await quiesce(d);
    self.refute('async');

    forwarder(self, { subscribeTo: [d] });
    await self.receive('sync');
    await self.receive('async');
  });

  // gen_stage_test.exs: "info: delivers info to producer immediately when there is no buffer"
  it('delivers info to producer immediately when there is no buffer', async () => {
    const self = new Mailbox();
    const p = counter(self);
    await syncInfo(p, 'sync');
    await self.receive('sync');
    p.infoAfterBuffered('async');
    await self.receive('async');
  });

  // gen_stage_test.exs: "info: delivers info to producer eventually with infinity buffer size"
  it('delivers info to producer eventually with infinity buffer size', async () => {
    const self = new Mailbox();
    const p = counter(self, { bufferSize: Infinity });
    const c = forwarder(self);
    await syncQueue(p, ['a', 'b', 'c']);
    await syncInfo(p, 'sync');
    await quiesce(p);
    self.refute('sync');

    c.subscribe(p);
    await self.receive(['consumed', ['a', 'b', 'c']]);
    await self.receive('sync');
  });

  // gen_stage_test.exs: "info: delivers info to producer eventually with one-item filled buffer"
  it('delivers info to producer eventually with one-item filled buffer', async () => {
    const self = new Mailbox();
    const p = counter(self, { bufferSize: 3 });
    const c = forwarder(self);
    await syncQueue(p, ['a']);
    await syncInfo(p, 'sync');
    await quiesce(p);
    self.refute('sync');

    c.subscribe(p);
    await self.receive(['consumed', ['a']]);
    await self.receive('sync');
  });

  // gen_stage_test.exs: "info: delivers info to producer eventually with mid filled buffer"
  it('delivers info to producer eventually with mid filled buffer', async () => {
    const self = new Mailbox();
    const p = counter(self, { bufferSize: 3 });
    const c = forwarder(self);
    await syncQueue(p, ['a', 'b']);
    await syncInfo(p, 'sync');
    await quiesce(p);
    self.refute('sync');

    c.subscribe(p);
    await self.receive(['consumed', ['a', 'b']]);
    await self.receive('sync');
  });

  // gen_stage_test.exs: "info: delivers info to producer eventually with filled buffer"
  it('delivers info to producer eventually with filled buffer', async () => {
    const self = new Mailbox();
    const p = counter(self, { bufferSize: 3 });
    const c = forwarder(self);
    await syncQueue(p, ['a', 'b', 'c']);
    await syncInfo(p, 'sync');
    await quiesce(p);
    self.refute('sync');

    c.subscribe(p);
    await self.receive(['consumed', ['a', 'b', 'c']]);
    await self.receive('sync');
  });

  // gen_stage_test.exs: "info: delivers info to producer eventually with moving buffer"
  it('delivers info to producer eventually with moving buffer', async () => {
    const self = new Mailbox();
    const p = counter(self, { bufferSize: 3 });

    // Subscribe (by hand: manual demand).
    const c = forwarder(self, { consumerDemand: 'manual' });
    const ref = c.subscribe(p);
    await self.receive(['consumer_subscribed', ref]);

    // Queue events and an info.
    await syncQueue(p, ['a', 'b', 'c']);
    await syncInfo(p, 'sync1');

    // Ask for events and the info.
    await forwarderAsk(c, ref, 2);
    await self.receive(['consumed', ['a', 'b']]);
    await quiesce(p, c);
    self.refute('sync1');

    // Queue more events and another info.
    await syncQueue(p, ['d', 'e']);
    await syncInfo(p, 'sync2');

    // Ask for the remaining events and infos.
    await forwarderAsk(c, ref, 1);
    await forwarderAsk(c, ref, 2);
    await self.receive(['consumed', ['c']]);
    await self.receive('sync1');
    await self.receive(['consumed', ['d', 'e']]);
    await self.receive('sync2');
  });

  // gen_stage_test.exs: "info: delivers info to producer eventually when dropping buffer"
  it('delivers info to producer eventually when dropping buffer', async () => {
    const self = new Mailbox();
    const p = counter(self, { bufferKeep: 'last', bufferSize: 3 });

    await syncQueue(p, ['a', 'b']);
    await syncInfo(p, 'sync');
    await quiesce(p);
    self.refute('sync');

    // A subscriber that never asks (the original subscribes by hand).
    const c = forwarder(self, { consumerDemand: 'manual' });
    const ref = c.subscribe(p);
    await self.receive(['consumer_subscribed', ref]);
    // The buffer keeps c, d, e: a and b, the events ahead of the info, are gone.
    await syncQueue(p, ['c', 'd', 'e']);
    await self.receive('sync');
  });

  // gen_stage_test.exs: "info: delivers multiple info to producer in FIFO order"
  it('delivers multiple info to producer in FIFO order', async () => {
    const self = new Mailbox();
    const p = counter(self, { bufferSize: 10 });
    const c = forwarder(self, { consumerDemand: 'manual' });
    c.subscribe(p);
    await self.receive(['producer_subscribed', (s: unknown) => (s as Subscription).consumer === c]);
    const [, sub] = (await self.receive(['consumer_subscribed', ANY])) as [string, Subscription];

    await syncQueue(p, ['a', 'b', 'c']);
    await syncInfo(p, 'd');
    await syncInfo(p, 'e');
    await syncInfo(p, 'f');
    await syncQueue(p, ['g', 'h']);
    await syncInfo(p, 'i');

    await quiesce(p);
    self.refute('d');

    await forwarderAsk(c, sub, 5);

    await self.receive(['consumed', ['a', 'b', 'c']]);
    await self.receive(['consumed', ['g', 'h']]);

    // The next four messages, in the order they arrived.
    await waitFor(() => self.messages.length >= 4, 'four messages');
    expect(self.messages.slice(0, 4)).toEqual(['d', 'e', 'f', 'i']);
  });
});
