/**
 * gen_stage's test/gen_stage_test.exs, translated: describe block
 * "consumer callbacks".
 *
 * `GenStage.sync_subscribe` is `stage.subscribe`, which returns the
 * subscription at once; `GenStage.cancel({producer, ref}, reason)` is
 * `consumer.cancel(subscription, reason)`. A trapped `{:EXIT, consumer,
 * reason}` is the consumer's `exitReason` once it has stopped;
 * `Process.exit(producer, :kill)` is `producer.kill('killed')`. The test
 * process's pid, used as an abnormal reason, is the test's Mailbox object.
 *
 * Skipped (OTP mechanics):
 * - "consumer callbacks: init/1", the parts on `:ignore`, on an unknown init
 *   return (`{:bad_return_value, :unknown}`: `init` returns nothing in Sluice)
 *   and on `name:` / `{:already_started, pid}` (registered names). The
 *   `{:stop, :oops}` and bad-options parts are translated.
 * - "consumer callbacks: handle_info/2 is called for unmatched down messages":
 *   `:DOWN` monitor messages.
 * - "consumer callbacks: format_status/2": `:sys.get_status`.
 */
import { describe, expect, it } from 'vitest';
import { InvalidOptionsError, SluiceError } from '../../src/index.ts';
import { consumer } from '../../src/stage/index.ts';
import { memoryLogger } from '../helpers.ts';
import {
  Mailbox,
  counter,
  forwarder,
  logLines,
  syncSubscribe,
  track,
  waitFor,
} from './gen-stage-helpers.ts';

describe('gen_stage_test.exs: consumer callbacks', () => {
  // gen_stage_test.exs: "consumer callbacks: init/1"
  it('init/1', async () => {
    // {:stop, :oops}: the stage stops with that reason.
    const oops = new Error('oops');
    const stopped = track(
      consumer(
        {
          init() {
            throw oops;
          },
          handleEvents: () => undefined,
        },
        { logger: memoryLogger() },
      ),
    );
    await expect(stopped.join()).rejects.toBe(oops);
    expect(stopped.exitReason).toBe(oops);

    // Unknown options are refused.
    expect(() =>
      consumer({ handleEvents: () => undefined }, { unknown: 'value' } as never),
    ).toThrow(InvalidOptionsError);
  });

  // gen_stage_test.exs: "consumer callbacks: handle_subscribe/4"
  it('handle_subscribe/4', async () => {
    const self = new Mailbox();
    const p = counter(0);
    const c = forwarder(self);
    const ref = c.subscribe(p);
    await self.receive(['consumer_subscribed', ref]);
    expect(ref.producer).toBe(p);
  });

  // gen_stage_test.exs: "consumer callbacks: handle_subscribe/4 with invalid demand"
  it('handle_subscribe/4 with invalid demand', async () => {
    const self = new Mailbox();
    const p = counter(0);
    const c = forwarder(self, { consumerDemand: 'unknown' });
    c.subscribe(p);
    await waitFor(() => c.stopped, 'the consumer stopping');
    expect(c.exitReason).toBeInstanceOf(SluiceError);
    expect((c.exitReason as SluiceError).code).toBe('ERR_BAD_RETURN');
    expect((c.exitReason as SluiceError).message).toContain('unknown');
  });

  // gen_stage_test.exs: "consumer callbacks: handle_cancel/3 with temporary subscription"
  it('handle_cancel/3 with temporary subscription', async () => {
    const self = new Mailbox();
    const p = counter(0);
    const c = forwarder(self);
    const ref = c.subscribe(p, { cancel: 'temporary' });
    c.cancel(ref, 'oops');
    await self.receive(['consumer_cancelled', ref, { kind: 'cancel', reason: 'oops' }]);
  });

  // gen_stage_test.exs: "consumer callbacks: handle_cancel/3 with normal transient subscription"
  it('handle_cancel/3 with normal transient subscription', async () => {
    const self = new Mailbox();
    const p = counter(0);
    const c = forwarder(self);
    const ref = c.subscribe(p, { cancel: 'transient' });
    c.cancel(ref, 'normal');
    await self.receive(['consumer_cancelled', ref, { kind: 'cancel', reason: 'normal' }]);
  });

  // gen_stage_test.exs: "consumer callbacks: handle_cancel/3 with non-normal transient subscription"
  it('handle_cancel/3 with non-normal transient subscription', async () => {
    const self = new Mailbox();
    const p = counter(0);
    const c = forwarder(self);
    const ref = c.subscribe(p, { cancel: 'transient' });
    c.cancel(ref, self);
    await self.receive(['consumer_cancelled', ref, { kind: 'cancel', reason: self }]);
    await waitFor(() => c.stopped, 'the consumer stopping');
    expect(c.exitReason).toBe(self);
  });

  // gen_stage_test.exs: "consumer callbacks: handle_cancel/3 with permanent subscription"
  it('handle_cancel/3 with permanent subscription', async () => {
    const self = new Mailbox();
    const p = counter(0);
    const c = forwarder(self);
    const ref = c.subscribe(p, { cancel: 'permanent' });
    c.cancel(ref, self);
    await self.receive(['consumer_cancelled', ref, { kind: 'cancel', reason: self }]);
    await waitFor(() => c.stopped, 'the consumer stopping');
    expect(c.exitReason).toBe(self);
  });

  // gen_stage_test.exs: "consumer callbacks: handle_cancel/3 on producer down with temporary subscription"
  it('handle_cancel/3 on producer down with temporary subscription', async () => {
    const self = new Mailbox();
    const p = counter(0);
    const c = forwarder(self);
    const ref = await syncSubscribe(c, p, { cancel: 'temporary' });
    await p.kill('killed');
    await self.receive(['consumer_cancelled', ref, { kind: 'down', reason: 'killed' }]);
  });

  // gen_stage_test.exs: "consumer callbacks: handle_cancel/3 on producer down with transient subscription"
  it('handle_cancel/3 on producer down with transient subscription', async () => {
    const self = new Mailbox();
    const p = counter(0);
    const c = forwarder(self);
    const ref = await syncSubscribe(c, p, { cancel: 'transient' });
    await p.kill('killed');
    await self.receive(['consumer_cancelled', ref, { kind: 'down', reason: 'killed' }]);
    await waitFor(() => c.stopped, 'the consumer stopping');
    expect(c.exitReason).toBe('killed');
  });

  // gen_stage_test.exs: "consumer callbacks: handle_cancel/3 on producer down with permanent subscription"
  it('handle_cancel/3 on producer down with permanent subscription', async () => {
    const self = new Mailbox();
    const p = counter(0);
    const c = forwarder(self);
    const ref = await syncSubscribe(c, p, { cancel: 'permanent' });
    await p.kill('killed');
    await self.receive(['consumer_cancelled', ref, { kind: 'down', reason: 'killed' }]);
    await waitFor(() => c.stopped, 'the consumer stopping');
    expect(c.exitReason).toBe('killed');
  });

  // gen_stage_test.exs: "consumer callbacks: terminate/1"
  it('terminate/1', async () => {
    const self = new Mailbox();
    const c = forwarder(self);
    await c.stop();
    await self.receive(['terminated', 'normal']);
  });

  // gen_stage_test.exs: "consumer callbacks: emit warning if trying to dispatch events from a consumer"
  it('emit warning if trying to dispatch events from a consumer', async () => {
    const { logger, lines } = logLines();
    // The suite's Counter started as a consumer: its handleCall emits events.
    const c = track(
      consumer(
        {
          handleEvents: () => undefined,
          // Typed as never: the types forbid a consumer to emit, the test checks the runtime.
          handleCall: (request: unknown) => ({
            reply: 0,
            events: (request as { queue: never[] }).queue,
          }),
        },
        { logger, name: 'gen_stage_error' },
      ),
    );
    expect(await c.call({ queue: ['f', 'g', 'h'] })).toBe(0);
    expect(lines.map((l) => l.message)).toContainEqual(
      expect.stringMatching(/consumer gen_stage_error .*cannot emit events/),
    );
  });
});
