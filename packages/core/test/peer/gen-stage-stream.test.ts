/**
 * gen_stage's test/gen_stage_test.exs, translated: describe blocks "stream"
 * and "from_enumerable/2" (`GenStage.stream` is `toAsyncIterable`,
 * `GenStage.from_enumerable` is `fromIterable`, `Enum.take` is a `for await`
 * loop left early).
 *
 * A producer that answers a subscribe with a cancel (the original fakes one
 * with a Task speaking the raw protocol) is a producer whose dispatcher
 * refuses the subscription: the consumer then gets the cancellation with the
 * refusal as reason, which is what the fake producer sends.
 *
 * Skipped (OTP mechanics):
 * - "generates child_spec/1" (top level): supervisor child specs.
 * - "stream: does not remove unknown $gen_consumer and DOWN messages": raw
 *   protocol and `:DOWN` messages in the caller's mailbox.
 * - "stream: exits when there is no named producer and subscription is
 *   permanent/transient", "stream: exits when there is no named producer and
 *   subscription is temporary": registered names.
 * - "from_enumerable/2: accepts a :link option": process links.
 * - "from_enumerable/2: accepts a :name option": registered names (Sluice's
 *   `name` only labels logs).
 * - every test of "subscribe_to names" ("can be pid", "can be an atom name",
 *   "can be a via name if passed with options to avoid ambiguity", "can be a
 *   global name if passed with options to avoid ambiguity", "logs warning
 *   about ambiguity if global name is passed without options", "logs warning
 *   about ambiguity if via name is passed without options"): registered,
 *   `:via` and `:global` names. ("can be pid" is `subscribeTo: [stage]`, which
 *   every other file uses.)
 */
import { describe, expect, it } from 'vitest';
import {
  DemandDispatcher,
  fromIterable,
  producer,
  toAsyncIterable,
  type Stage,
} from '../../src/stage/index.ts';
import { memoryLogger } from '../helpers.ts';
import { counter, quiesce, range, track } from './gen-stage-helpers.ts';

/** `Enum.take(stream, n)`. */
async function take<T>(iterable: AsyncIterable<T>, n: number): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) {
    out.push(item);
    if (out.length >= n) break;
  }
  return out;
}

/** `Enum.to_list(stream)`. */
async function toList<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

function* naturals(): Generator<number> {
  for (let i = 0; ; i++) yield i;
}

function* cycle<T>(items: readonly T[]): Generator<T> {
  for (;;) yield* items;
}

const noThanks = new Error('no_thanks');

/** A producer that answers every subscribe with a cancel (`:no_thanks`). */
function refusingProducer(options: { stopAfterRefusing: boolean }): Stage<never, number> {
  const stage: { self?: Stage<never, number> } = {};
  class Refusing extends DemandDispatcher<number> {
    override subscribe(): number {
      if (options.stopAfterRefusing) queueMicrotask(() => void stage.self?.stop('normal'));
      throw noThanks;
    }
  }
  const self = track(
    producer<number>(
      { handleDemand: () => [] },
      { dispatcher: new Refusing(), logger: memoryLogger() },
    ),
  );
  stage.self = self;
  return self;
}

describe('gen_stage_test.exs: stream', () => {
  // gen_stage_test.exs: "stream: may consume 10 events out of demand of 1000"
  it('may consume 10 events out of demand of 1000', async () => {
    const p = counter(0);
    expect(await take(toAsyncIterable([p]), 10)).toEqual(range(0, 9));
    // The original's refute concerns stray messages left in the caller's
    // mailbox; a Sluice iteration has no mailbox of the caller's to leak into.
  });

  // gen_stage_test.exs: "stream: may consume 300 events out of demand of 100"
  it('may consume 300 events out of demand of 100', async () => {
    const p = counter(0);
    expect(await take(toAsyncIterable([[p, { maxDemand: 100 }]]), 300)).toHaveLength(300);
  });

  // gen_stage_test.exs: "stream: exits when producer is dead and subscription is permanent/transient"
  it('exits when producer is dead and subscription is permanent/transient', async () => {
    const p = counter(0);
    await p.stop();
    // GenStage exits with :noproc: the producer is not alive.
    await expect(take(toAsyncIterable([p]), 10)).rejects.toThrow(/not alive/);
  });

  // gen_stage_test.exs: "stream: exits when producer does not ack and subscription is permanent/transient"
  it('exits when producer does not ack and subscription is permanent/transient', async () => {
    const p = refusingProducer({ stopAfterRefusing: true });
    await expect(take(toAsyncIterable([p]), 10)).rejects.toBe(noThanks);
  });

  // gen_stage_test.exs: "stream: exits when producer does not ack and lives and subscription is permanent/transient"
  it('exits when producer does not ack and lives and subscription is permanent/transient', async () => {
    const p = refusingProducer({ stopAfterRefusing: false });
    await expect(take(toAsyncIterable([p]), 10)).rejects.toBe(noThanks);
  });

  // gen_stage_test.exs: "stream: exits when producer is dead and subscription is temporary"
  it('exits when producer is dead and subscription is temporary', async () => {
    const p = counter(0);
    await p.stop();
    expect(await take(toAsyncIterable([[p, { cancel: 'temporary' }]]), 10)).toEqual([]);
  });

  // gen_stage_test.exs: "stream: exits when producer does not ack and subscription is temporary"
  it('exits when producer does not ack and subscription is temporary', async () => {
    const p = refusingProducer({ stopAfterRefusing: true });
    expect(await take(toAsyncIterable([[p, { cancel: 'temporary' }]]), 10)).toEqual([]);
  });

  // gen_stage_test.exs: "stream: exits when producer does not ack and lives and subscription is temporary"
  it('exits when producer does not ack and lives and subscription is temporary', async () => {
    const p = refusingProducer({ stopAfterRefusing: false });
    expect(await take(toAsyncIterable([[p, { cancel: 'temporary' }]]), 10)).toEqual([]);
  });

  // gen_stage_test.exs: "stream: sends termination message on done"
  it('sends termination message on done', async () => {
    const p = track(fromIterable(naturals(), { logger: memoryLogger() }));
    expect(await take(toAsyncIterable([[p, { cancel: 'transient' }]]), 10)).toEqual(range(0, 9));
    await quiesce(p);
    expect(p.stopped).toBe(false);
  });

  // gen_stage_test.exs: "stream: sends termination message on halt"
  it('sends termination message on halt', async () => {
    const p = track(fromIterable(range(0, 9), { logger: memoryLogger() }));
    expect(await toList(toAsyncIterable([[p, { cancel: 'transient' }]]))).toEqual(range(0, 9));
    await p.join();
    expect(p.stopped).toBe(true);
  });

  // gen_stage_test.exs: "stream: raises on bad options"
  it('raises on bad options', () => {
    const p = counter(0);
    expect(() => toAsyncIterable([[p, { maxDemand: 0 }]])).toThrow(/maxDemand/);
  });
});

describe('gen_stage_test.exs: from_enumerable/2', () => {
  // gen_stage_test.exs: "from_enumerable/2: accepts a :on_cancel option"
  it('accepts a :on_cancel option', async () => {
    const logger = memoryLogger();
    let p = track(fromIterable(cycle([1, 2, 3]), { logger }));
    expect(await take(toAsyncIterable([p]), 5)).toEqual([1, 2, 3, 1, 2]);
    await quiesce(p);
    expect(p.stopped).toBe(false);

    p = track(fromIterable(cycle([1, 2, 3]), { logger, onCancel: 'continue' }));
    expect(await take(toAsyncIterable([p]), 5)).toEqual([1, 2, 3, 1, 2]);
    await quiesce(p);
    expect(p.stopped).toBe(false);

    p = track(fromIterable(cycle([1, 2, 3]), { logger, onCancel: 'stop' }));
    expect(await take(toAsyncIterable([p]), 5)).toEqual([1, 2, 3, 1, 2]);
    await p.join();
    expect(p.stopped).toBe(true);
  });
});
