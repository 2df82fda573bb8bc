/**
 * gen_stage's test/gen_stage_test.exs, translated: describe block
 * "producer callbacks".
 *
 * A trapped `{:EXIT, producer, reason}` is the producer's `exitReason` once it
 * has stopped; `Process.exit(consumer, :kill)` is `consumer.kill('killed')`.
 *
 * Skipped (OTP mechanics):
 * - "producer callbacks: init/1", the parts on `:ignore`, on an unknown init
 *   return (`{:bad_return_value, :unknown}`: `init` returns nothing in Sluice)
 *   and on `name:` / `{:already_started, pid}` (registered names). The
 *   `{:stop, :oops}` and bad-options parts are translated.
 * - "producer callbacks: handle_call/3 allows replies before sending events":
 *   a raw `{:"$gen_call", ...}` and raw `$gen_producer` subscription, checked
 *   with `Process.info(self(), :messages)`, i.e. the order of two messages in
 *   the mailbox of the test process, which is both the caller and the
 *   consumer. In Sluice the reply settles a promise and the events go to
 *   another stage, so there is no shared mailbox whose order could be read.
 * - "producer callbacks: handle_info/2 is called for unmatched down messages":
 *   `:DOWN` monitor messages.
 * - "producer callbacks: format_status/2": `:sys.get_status`.
 */
import { describe, expect, it } from 'vitest';
import { InvalidOptionsError, SluiceError } from '../../src/index.ts';
import { DemandDispatcher, producer, type DispatchTarget } from '../../src/stage/index.ts';
import { memoryLogger } from '../helpers.ts';
import {
  Mailbox,
  counter,
  forwarder,
  forwarderAsk,
  forwarderProducer,
  track,
  waitFor,
} from './gen-stage-helpers.ts';

describe('gen_stage_test.exs: producer callbacks', () => {
  // gen_stage_test.exs: "producer callbacks: init/1"
  it('init/1', async () => {
    // {:stop, :oops}: the stage stops with that reason.
    const oops = new Error('oops');
    const stopped = track(
      producer(
        {
          init() {
            throw oops;
          },
          handleDemand: () => [],
        },
        { logger: memoryLogger() },
      ),
    );
    await expect(stopped.join()).rejects.toBe(oops);
    expect(stopped.exitReason).toBe(oops);

    // Bad options are refused.
    const handleDemand = (): never[] => [];
    expect(() => producer({ handleDemand }, { bufferSize: -1 })).toThrow(InvalidOptionsError);
    expect(() => producer({ handleDemand }, { bufferSize: -1 })).toThrow(/bufferSize/);
    expect(() => producer({ handleDemand }, { dispatcher: 0 } as never)).toThrow(/dispatcher/);
    expect(() => producer({ handleDemand }, { unknown: 'value' } as never)).toThrow(
      InvalidOptionsError,
    );
  });

  // gen_stage_test.exs: "producer callbacks: handle_subscribe/4"
  it('handle_subscribe/4', async () => {
    const self = new Mailbox();
    const p = counter(self);
    const c = forwarder(self);
    const ref = c.subscribe(p);
    await self.receive(['producer_subscribed', ref]);
    expect(ref.consumer).toBe(c);
  });

  // gen_stage_test.exs: "producer callbacks: handle_subscribe/4 does not accept manual demand"
  it('handle_subscribe/4 does not accept manual demand', async () => {
    const self = new Mailbox();
    const p = counter(self, { producerDemand: 'manual' });
    const c = forwarder(self);
    const ref = c.subscribe(p);
    await self.receive(['producer_subscribed', ref]);
    await waitFor(() => p.stopped, 'the producer stopping');
    expect(p.exitReason).toBeInstanceOf(SluiceError);
    expect((p.exitReason as SluiceError).code).toBe('ERR_BAD_RETURN');
    expect((p.exitReason as SluiceError).message).toContain('manual');
  });

  // gen_stage_test.exs: "producer callbacks: handle_cancel/3"
  it('handle_cancel/3', async () => {
    const self = new Mailbox();
    const p = counter(self);
    const c = forwarder(self);
    const ref = c.subscribe(p, { cancel: 'temporary' });
    await self.receive(['producer_subscribed', ref]);
    c.cancel(ref, 'oops');
    await self.receive(['producer_cancelled', ref, { kind: 'cancel', reason: 'oops' }]);
  });

  // gen_stage_test.exs: "producer callbacks: handle_cancel/3 on consumer down"
  it('handle_cancel/3 on consumer down', async () => {
    const self = new Mailbox();
    const p = counter(self);
    const c = forwarder(self);
    const ref = c.subscribe(p, { cancel: 'temporary' });
    await self.receive(['producer_subscribed', ref]);
    await c.kill('killed');
    await self.receive(['producer_cancelled', ref, { kind: 'down', reason: 'killed' }]);
  });

  // gen_stage_test.exs: "producer callbacks: handle_call/3 sends events before reply"
  it('handle_call/3 sends events before reply', async () => {
    const self = new Mailbox();
    // Records, in order, what the producer sends: events, then the reply.
    const sent: unknown[] = [];
    class Recording<T> extends DemandDispatcher<T> {
      override dispatch(events: T[], target: DispatchTarget<T, unknown>): T[] {
        const leftover = super.dispatch(events, target);
        sent.push(['events', events.slice(0, events.length - leftover.length)]);
        return leftover;
      }
    }
    const p = counter(self, { dispatcher: new Recording() });

    // Subscribe and ask for 3 (by hand).
    const c = forwarder(self, { consumerDemand: 'manual' });
    const ref = c.subscribe(p);
    await self.receive(['producer_subscribed', ref]);
    await forwarderAsk(c, ref, 3);

    // The original then waits with a blocking GenStage.stop, which is queued
    // behind the call; Sluice's stop() does not wait for the mailbox, so the
    // reply is awaited first.
    await p.call({ queue: [1, 2, 3] }).then((value) => {
      sent.push(['reply', value]);
    });
    await p.stop();

    expect(sent).toEqual([
      ['events', [1, 2, 3]],
      ['reply', self],
    ]);
    await self.receive(['consumed', [1, 2, 3]]);
  });

  // gen_stage_test.exs: "producer callbacks: handle_call/3 may shut stage down"
  it('handle_call/3 may shut stage down', async () => {
    const self = new Mailbox();
    const p = counter(self);
    expect(await p.call('stop')).toBe('ok');
    await waitFor(() => p.stopped, 'the producer stopping');
    expect(p.exitReason).toBe('shutdown');
  });

  // gen_stage_test.exs: "producer callbacks: terminate/2"
  it('terminate/2', async () => {
    const self = new Mailbox();
    const p = forwarderProducer(self);
    await p.stop();
    await self.receive(['terminated', 'normal']);
  });
});
