import diagnostics from 'node:diagnostics_channel';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BroadcastDispatcher,
  DemandDispatcher,
  PartitionDispatcher,
  consumer,
  producer,
  producerConsumer,
  stageChannels,
  type CallRef,
  type Cancellation,
  type DispatchTarget,
  type DiscardedEvent,
  type Stage,
  type Subscription,
} from '../../src/stage/index.ts';
import { deferred, memoryLogger, settle, until } from '../helpers.ts';

const stages: Stage<unknown, unknown>[] = [];
function track<S extends Stage<never, unknown> | Stage<unknown, unknown> | Stage<unknown, never>>(
  s: S,
): S {
  stages.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(stages.splice(0).map((s) => s.kill('test-end')));
});

/** A DemandDispatcher that records every ask its consumers make. */
class AskRecorder<T> extends DemandDispatcher<T> {
  readonly asks: number[] = [];
  override ask(subscription: unknown, count: number, target: DispatchTarget<T, unknown>): number {
    this.asks.push(count);
    return super.ask(subscription, count, target);
  }
}

/** A producer of 0, 1, 2, ... that records every demand it sees. */
function counter(demands: number[] = [], options = {}) {
  let next = 0;
  return track(
    producer<number>(
      {
        handleDemand(demand) {
          demands.push(demand);
          return Array.from({ length: demand }, () => next++);
        },
      },
      { logger: memoryLogger(), ...options },
    ),
  );
}

/** A consumer that records each chunk it receives. */
function recorderConsumer<T>(chunks: T[][] = [], handle?: (events: T[]) => unknown) {
  return track(
    consumer<T>(
      {
        handleEvents(events) {
          chunks.push(events);
          return handle?.(events) as undefined;
        },
      },
      { logger: memoryLogger() },
    ),
  );
}

describe('demand', () => {
  it('asks maxDemand on subscribe and hands events over in chunks of maxDemand - minDemand', async () => {
    const dispatcher = new AskRecorder<number>();
    const chunks: number[][] = [];
    const a = counter([], { dispatcher });
    const c = recorderConsumer(chunks, (events) => {
      if (chunks.length === 6) void c.stop();
      return events;
    });
    c.subscribe(a, { maxDemand: 10, minDemand: 5 });
    await c.join();
    expect(dispatcher.asks.slice(0, 4)).toEqual([10, 5, 5, 5]);
    expect(chunks.map((ch) => ch.length)).toEqual([5, 5, 5, 5, 5, 5]);
    expect(chunks.flat()).toEqual(Array.from({ length: 30 }, (_, i) => i));
  });

  it('serves asks that wait in the mailbox together, with one handleDemand for their sum', async () => {
    const demands: number[] = [];
    const dispatcher = new AskRecorder<number>();
    const chunks: number[][] = [];
    const a = counter(demands, { dispatcher });
    const c = recorderConsumer(chunks, (events) => {
      if (chunks.length === 6) void c.stop();
      return events;
    });
    c.subscribe(a, { maxDemand: 10, minDemand: 5 });
    await c.join();
    // The consumer asks 5 after each chunk of 5; its two asks for one
    // delivery reach the producer together and become one demand of 10.
    expect(dispatcher.asks.slice(0, 5)).toEqual([10, 5, 5, 5, 5]);
    expect(demands.slice(0, 3)).toEqual([10, 10, 10]);
  });

  it('holds back further demand while an async handleEvents has not settled', async () => {
    const demands: number[] = [];
    const gate = deferred();
    const a = counter(demands);
    const chunks: number[][] = [];
    const c = recorderConsumer(chunks, () => gate.promise);
    c.subscribe(a, { maxDemand: 4, minDemand: 2 });
    await settle();
    expect(demands).toEqual([4]);
    expect(chunks).toEqual([[0, 1]]); // the second chunk waits in the mailbox
    gate.resolve();
    await until(() => demands.length > 1);
    expect(demands[1]).toBe(2);
  });

  it('never hands a manual consumer events before it asks', async () => {
    const chunks: number[][] = [];
    let subscription: Subscription | undefined;
    const a = counter();
    const c = track(
      consumer<number>(
        {
          handleSubscribe(_as, _o, sub) {
            subscription = sub;
            return 'manual';
          },
          handleEvents(events) {
            chunks.push(events);
          },
        },
        { logger: memoryLogger() },
      ),
    );
    c.subscribe(a);
    await settle();
    expect(chunks).toEqual([]);
    c.ask(subscription!, 3);
    await until(() => chunks.length === 1);
    expect(chunks).toEqual([[0, 1, 2]]);
  });

  it('lets a manual consumer ask from inside handleSubscribe', async () => {
    const chunks: number[][] = [];
    const a = counter();
    const c = track(
      consumer<number>(
        {
          handleSubscribe(_as, _o, sub, stage) {
            stage.ask(sub, 2);
            return 'manual';
          },
          handleEvents(events) {
            chunks.push(events);
          },
        },
        { logger: memoryLogger() },
      ),
    );
    c.subscribe(a);
    await until(() => chunks.length === 1);
    expect(chunks).toEqual([[0, 1]]);
  });

  it('keeps per-subscription demand for a consumer of several producers', async () => {
    const demandsA: number[] = [];
    const demandsB: number[] = [];
    const a = counter(demandsA);
    const b = counter(demandsB);
    const c = recorderConsumer<number>();
    c.subscribe(a, { maxDemand: 2, minDemand: 1 });
    c.subscribe(b, { maxDemand: 8, minDemand: 4 });
    await until(() => demandsA.length > 2 && demandsB.length > 2);
    expect(demandsA[0]).toBe(2);
    expect(demandsB[0]).toBe(8);
    expect(Math.max(...demandsA)).toBe(2);
    expect(Math.max(...demandsB)).toBe(8);
  });
});

describe('producer buffer', () => {
  it('buffers events beyond demand and sends them when demand arrives', async () => {
    const p = track(
      producer<number>(
        {
          handleDemand: () => undefined,
          handleInfo: (m) => m as number[],
        },
        { logger: memoryLogger() },
      ),
    );
    p.send([1, 2, 3, 4, 5]);
    await settle();
    expect(p.estimateBufferedCount()).toBe(5);
    const chunks: number[][] = [];
    const c = recorderConsumer(chunks);
    c.subscribe(p, { maxDemand: 3, minDemand: 0 });
    await until(() => chunks.flat().length === 5);
    expect(chunks.flat()).toEqual([1, 2, 3, 4, 5]);
  });

  it('discards the oldest events past bufferSize and reports them in a log and an event', async () => {
    const logger = memoryLogger();
    const seen: DiscardedEvent[] = [];
    const listener = (m: unknown): void => void seen.push(m as DiscardedEvent);
    diagnostics.subscribe(stageChannels.discarded, listener);
    try {
      const p = track(
        producer<number>(
          { handleDemand: () => undefined, handleInfo: (m) => m as number[] },
          { logger, bufferSize: 3, name: 'small' },
        ),
      );
      p.send([1, 2, 3, 4, 5]);
      await settle();
      expect(p.estimateBufferedCount()).toBe(3);
      expect(seen).toEqual([
        { stage: 'small', count: 2, reason: expect.stringContaining('bufferSize 3') as string },
      ]);
      expect(
        logger.lines.some((l) => l.level === 'warn' && l.message?.includes('discarded 2 events')),
      ).toBe(true);
      const chunks: number[][] = [];
      recorderConsumer(chunks).subscribe(p);
      await until(() => chunks.flat().length === 3);
      expect(chunks.flat()).toEqual([3, 4, 5]);
    } finally {
      diagnostics.unsubscribe(stageChannels.discarded, listener);
    }
  });

  it("keeps the first events with bufferKeep 'first'", async () => {
    const p = track(
      producer<number>(
        { handleDemand: () => undefined, handleInfo: (m) => m as number[] },
        { logger: memoryLogger(), bufferSize: 2, bufferKeep: 'first' },
      ),
    );
    p.send([1, 2, 3]);
    const chunks: number[][] = [];
    await settle();
    recorderConsumer(chunks).subscribe(p);
    await until(() => chunks.flat().length === 2);
    expect(chunks.flat()).toEqual([1, 2]);
  });

  it('delivers infoAfterBuffered only after the events buffered before it are dispatched', async () => {
    const order: string[] = [];
    const p = track(
      producer<string>(
        {
          handleDemand: () => undefined,
          handleInfo(m) {
            if (Array.isArray(m)) return m as string[];
            order.push(`info:${String(m)}`);
          },
        },
        { logger: memoryLogger() },
      ),
    );
    p.send(['a', 'b']);
    p.infoAfterBuffered('flushed');
    await settle();
    expect(order).toEqual([]);
    let sub: Subscription | undefined;
    const c = track(
      consumer<string>(
        {
          handleSubscribe(_as, _o, s) {
            sub = s;
            return 'manual';
          },
          handleEvents(events) {
            order.push(...events);
          },
        },
        { logger: memoryLogger() },
      ),
    );
    c.subscribe(p);
    await settle();
    c.ask(sub!, 1);
    await until(() => order.length === 1);
    await settle();
    expect(order).toEqual(['a']); // 'b' is still buffered, so the info waits
    c.ask(sub!, 1);
    await until(() => order.length === 3);
    expect(order).toContain('info:flushed');
    expect(order.filter((x) => x !== 'info:flushed')).toEqual(['a', 'b']);
    expect(p.estimateBufferedCount()).toBe(0);
  });

  // Issue 14 (gen_stage "info: delivers info to producer eventually when
  // dropping buffer"): the info is due once the events in front of it are
  // gone, dispatched or dropped, not at the next ask.
  it('delivers infoAfterBuffered once a full buffer has dropped the events in front of it', async () => {
    const infos: unknown[] = [];
    const p = track(
      producer<string>(
        {
          handleDemand: () => undefined,
          handleInfo(m) {
            if (Array.isArray(m)) return m as string[];
            infos.push(m);
          },
        },
        { logger: memoryLogger(), bufferSize: 2, bufferKeep: 'last' },
      ),
    );
    p.send(['a', 'b']);
    p.infoAfterBuffered('flushed');
    p.send(['c', 'd']);
    await until(() => infos.length === 1);
    expect(infos).toEqual(['flushed']);
    expect(p.estimateBufferedCount()).toBe(2);
  });
});

describe('demand modes', () => {
  it('accumulates demand until switched to forward, then replays it in order', async () => {
    const demands: number[] = [];
    const a = counter(demands, { demand: 'accumulate' });
    const chunks: number[][] = [];
    recorderConsumer(chunks).subscribe(a, { maxDemand: 4, minDemand: 2 });
    await settle();
    expect(demands).toEqual([]);
    expect(a.demandMode).toBe('accumulate');
    a.setDemandMode('forward');
    await until(() => chunks.length >= 2);
    expect(demands[0]).toBe(4);
    expect(chunks.flat().slice(0, 4)).toEqual([0, 1, 2, 3]);
  });

  it('replays accumulated asks and events before asks that came after the switch', async () => {
    const demands: number[] = [];
    let n = 0;
    const a = track(
      producer<string>(
        {
          handleDemand(demand) {
            demands.push(demand);
            return Array.from({ length: demand }, () => `N${n++}`);
          },
          handleInfo: (message) => (message === 'emit' ? ['E1', 'E2'] : undefined),
        },
        { logger: memoryLogger(), demand: 'accumulate' },
      ),
    );
    const got: string[] = [];
    let subscription: Subscription | undefined;
    track(
      consumer<string>(
        {
          handleSubscribe(_as, _o, sub) {
            subscription = sub;
            return 'manual';
          },
          handleEvents(events) {
            got.push(...events);
          },
        },
        { logger: memoryLogger(), subscribeTo: [[a, { maxDemand: 10 }]] },
      ),
    );
    await until(() => subscription !== undefined);
    const c = subscription?.consumer as Stage<string, never>;
    c.ask(subscription as Subscription, 2); // accumulated
    a.send('emit'); // events accumulated after that ask
    await settle();
    a.setDemandMode('forward');
    c.ask(subscription as Subscription, 2); // after the switch
    await until(() => got.length === 4);
    await settle();
    expect(got).toEqual(['N0', 'N1', 'E1', 'E2']);
    expect(demands).toEqual([2]);
  });
});

describe('cancellation', () => {
  it('stops a permanent consumer with the reason when its producer stops', async () => {
    const a = counter();
    const c = recorderConsumer<number>();
    c.subscribe(a, { maxDemand: 2 });
    await settle();
    await a.stop('shutdown');
    await until(() => c.stopped);
    expect(c.exitReason).toBe('shutdown');
  });

  it('keeps a transient consumer running when the producer stops normally', async () => {
    const a = counter();
    const c = recorderConsumer<number>();
    c.subscribe(a, { maxDemand: 2, cancel: 'transient' });
    await settle();
    await a.stop('normal');
    await settle();
    expect(c.stopped).toBe(false);
  });

  it('stops a transient consumer when the producer crashes', async () => {
    const boom = new Error('boom');
    const p = track(
      producer<number>(
        {
          handleDemand() {
            throw boom;
          },
        },
        { logger: memoryLogger() },
      ),
    );
    const c = recorderConsumer<number>();
    c.subscribe(p, { cancel: 'transient' });
    await expect(c.join()).rejects.toBe(boom);
    await expect(p.join()).rejects.toBe(boom);
  });

  it('keeps a temporary consumer running whatever the reason, and tells handleCancel', async () => {
    const cancellations: Cancellation[] = [];
    const p = track(
      producer<number>(
        {
          handleDemand() {
            throw new Error('boom');
          },
        },
        { logger: memoryLogger() },
      ),
    );
    const c = track(
      consumer<number>(
        {
          handleEvents: () => undefined,
          handleCancel(cancellation) {
            cancellations.push(cancellation);
          },
        },
        { logger: memoryLogger() },
      ),
    );
    c.subscribe(p, { cancel: 'temporary' });
    await until(() => cancellations.length === 1);
    expect(cancellations[0]?.kind).toBe('down');
    expect((cancellations[0]?.reason as Error).message).toBe('boom');
    expect(c.stopped).toBe(false);
  });

  it('still handles the events sent before a consumer-initiated cancel, then runs handleCancel on both sides', async () => {
    const seen: number[] = [];
    const producerCancels: Cancellation[] = [];
    let next = 0;
    const p = track(
      producer<number>(
        {
          handleDemand: (d) => Array.from({ length: d }, () => next++),
          handleCancel(c) {
            producerCancels.push(c);
          },
        },
        { logger: memoryLogger() },
      ),
    );
    const c = track(
      consumer<number>(
        {
          handleEvents(events, sub, stage) {
            seen.push(...events);
            if (seen.length === 4) stage.cancel(sub, 'enough');
          },
        },
        { logger: memoryLogger() },
      ),
    );
    c.subscribe(p, { maxDemand: 4, minDemand: 2, cancel: 'temporary' });
    await until(() => producerCancels.length === 1);
    await settle();
    expect(producerCancels).toEqual([{ kind: 'cancel', reason: 'enough' }]);
    // every event the producer sent was handled, in order, none twice
    expect(seen).toEqual(Array.from({ length: seen.length }, (_, i) => i));
  });

  // As GenStage's :noproc: a subscription to a producer that is not alive is
  // a mistake to see, not a normal end, whatever reason the producer had.
  it('stops a permanent consumer that subscribes to a stopped producer, with an error', async () => {
    const a = counter();
    await a.stop('normal');
    const c = recorderConsumer<number>();
    c.subscribe(a);
    await expect(c.join()).rejects.toMatchObject({
      code: 'ERR_STAGE_STOPPED',
      message: expect.stringContaining('which was not alive') as unknown,
    });
  });

  it('tells a temporary consumer that subscribes to a stopped producer why, and keeps it running', async () => {
    const a = counter();
    await a.stop('normal');
    const cancels: Cancellation[] = [];
    const c = consumer<number>({
      handleEvents() {},
      handleCancel(cancellation) {
        cancels.push(cancellation);
      },
    });
    c.subscribe(a, { cancel: 'temporary' });
    await until(() => cancels.length === 1);
    expect(cancels[0]).toMatchObject({ kind: 'down', reason: { code: 'ERR_STAGE_STOPPED' } });
    expect(c.stopped).toBe(false);
    await c.stop();
  });

  // Issue 14: a cancel issued right after subscribe reached the producer
  // before the subscription did, was ignored, and the subscription ran for ever.
  it('keeps a cancel issued right after subscribe, and runs handleCancel', async () => {
    const a = counter();
    const cancels: Cancellation[] = [];
    let received = 0;
    const c = consumer<number>({
      handleEvents(events) {
        received += events.length;
      },
      handleCancel(cancellation) {
        cancels.push(cancellation);
      },
    });
    const sub = c.subscribe(a, { cancel: 'temporary', maxDemand: 10 });
    c.cancel(sub, 'changed my mind');
    await until(() => cancels.length === 1);
    await c.call('sync').catch(() => undefined);
    expect(cancels).toEqual([{ kind: 'cancel', reason: 'changed my mind' }]);
    // At most the first ask's worth arrived before the cancel took effect.
    expect(received).toBeLessThanOrEqual(10);
    await Promise.all([a.stop(), c.stop()]);
  });
});

describe('errors', () => {
  it('stops the stage with the thrown error as reason and logs it once', async () => {
    const logger = memoryLogger();
    const boom = new Error('handler failed');
    const a = counter();
    const c = track(
      consumer<number>(
        {
          handleEvents() {
            throw boom;
          },
        },
        { logger, name: 'thrower' },
      ),
    );
    c.subscribe(a);
    await expect(c.join()).rejects.toBe(boom);
    expect(c.exitReason).toBe(boom);
    expect(logger.lines.filter((l) => l.level === 'error')).toHaveLength(1);
    expect(logger.lines[0]?.message).toBe('stage thrower stopped');
  });

  it('stops the stage when an async callback rejects', async () => {
    const a = counter();
    const c = track(
      consumer<number>(
        {
          async handleEvents() {
            await Promise.resolve();
            throw new Error('async failure');
          },
        },
        { logger: memoryLogger() },
      ),
    );
    c.subscribe(a);
    await expect(c.join()).rejects.toThrow('async failure');
  });

  it('throws at once on invalid options, naming the option and the value', () => {
    const a = counter();
    const c = recorderConsumer<number>();
    expect(() => c.subscribe(a, { minDemand: 10, maxDemand: 10 })).toThrow(
      'invalid subscription options: minDemand: expected less than maxDemand (10), got 10',
    );
    expect(() => c.subscribe(a, { maxDemand: 0 })).toThrow(
      'invalid subscription options: maxDemand: expected a positive integer, got 0',
    );
    expect(() => producer({ handleDemand: () => [] }, { bufferSize: -1 })).toThrow(
      'invalid producer options: bufferSize: expected a non-negative integer or Infinity, got -1',
    );
    expect(() => producer({ handleDemand: () => [] }, { bufferSize: 1.5 })).toThrow('got 1.5');
    expect(() =>
      track(producer({ handleDemand: () => [] }, { bufferSize: Infinity })),
    ).not.toThrow();
    expect(() => producer({ handleDemand: () => [] }, { bufferKeep: 'middle' } as never)).toThrow(
      `bufferKeep: expected one of 'first', 'last', got 'middle'`,
    );
    const partitioned = track(
      producer<number>(
        { handleDemand: () => [] },
        { dispatcher: new PartitionDispatcher({ partitions: 2 }) },
      ),
    );
    expect(() => c.subscribe(partitioned, { partition: 2 })).toThrow(
      'invalid subscription options: partition: expected one of 0, 1, got 2',
    );
    expect(() => consumer({} as never)).toThrow(
      'invalid consumer callbacks: handleEvents: expected a function',
    );
  });

  it('rejects a second consumer for a taken partition by cancelling its subscription', async () => {
    const p = track(
      producer<number>(
        { handleDemand: () => [] },
        { dispatcher: new PartitionDispatcher({ partitions: 1 }) },
      ),
    );
    recorderConsumer<number>().subscribe(p, { partition: 0 });
    const second = recorderConsumer<number>();
    second.subscribe(p, { partition: 0 });
    await expect(second.join()).rejects.toThrow('already taken');
  });
});

describe('calls', () => {
  it('replies after dispatching the events handleCall returned', async () => {
    const p = track(
      producer<string>(
        {
          handleDemand: () => undefined,
          handleCall: (request) => ({ events: [String(request)], reply: 'ok' }),
        },
        { logger: memoryLogger() },
      ),
    );
    const chunks: string[][] = [];
    recorderConsumer(chunks).subscribe(p);
    await settle();
    await expect(p.call('hello')).resolves.toBe('ok');
    await until(() => chunks.length === 1);
    expect(chunks).toEqual([['hello']]);
  });

  it('supports a deferred reply, and rejects pending calls when the stage stops', async () => {
    let pending: CallRef | undefined;
    const p = track(
      producer<string>(
        {
          handleDemand: () => undefined,
          handleCall(_r, from) {
            pending = from;
          },
        },
        { logger: memoryLogger() },
      ),
    );
    const answered = p.call('later');
    await until(() => pending !== undefined);
    p.reply(pending!, 42);
    await expect(answered).resolves.toBe(42);
    const orphan = p.call('never');
    await settle();
    await p.stop();
    await expect(orphan).rejects.toMatchObject({ code: 'ERR_STAGE_STOPPED' });
  });
});

describe('producer-consumer', () => {
  it('takes in events only while its own consumers have demand', async () => {
    const demands: number[] = [];
    const a = counter(demands);
    const b = track(
      producerConsumer<number, number>(
        { handleEvents: (events) => events },
        { logger: memoryLogger() },
      ),
    );
    b.subscribe(a, { maxDemand: 10, minDemand: 5 });
    await settle();
    // nobody downstream: b asked once and holds what it got
    expect(demands).toEqual([10]);
    const gate = deferred();
    const chunks: number[][] = [];
    recorderConsumer(chunks, () => gate.promise).subscribe(b, { maxDemand: 2, minDemand: 1 });
    await until(() => chunks.length === 1);
    await settle();
    // The downstream consumer is stuck on its first event. As in GenStage, b
    // finishes the events message it had started (one more window of
    // demand) and then stops asking: upstream demand stays bounded.
    expect(chunks).toEqual([[0]]);
    const asked = demands.reduce((x, y) => x + y, 0);
    expect(asked).toBeLessThanOrEqual(20);
    await settle(50);
    expect(demands.reduce((x, y) => x + y, 0)).toBe(asked);
  });
});

describe('broadcast', () => {
  it('sends each event to every consumer at the pace of the slowest', async () => {
    // accumulate until both have subscribed, as GenStage recommends: a late
    // subscriber only sees events dispatched after it joined.
    const p = counter([], { dispatcher: new BroadcastDispatcher(), demand: 'accumulate' });
    const fast: number[][] = [];
    const slow: number[][] = [];
    const gate = deferred();
    recorderConsumer(fast).subscribe(p, { maxDemand: 4, minDemand: 2 });
    recorderConsumer(slow, () => gate.promise).subscribe(p, { maxDemand: 4, minDemand: 2 });
    await settle();
    p.setDemandMode('forward');
    await settle();
    expect(slow.flat()).toEqual([0, 1]);
    expect(fast.flat()).toEqual([0, 1, 2, 3]);
    gate.resolve();
    await until(() => slow.flat().length >= 8);
    expect(fast.flat().slice(0, 8)).toEqual(slow.flat().slice(0, 8));
  });
});

describe('kill', () => {
  it('stops a stage stuck in a callback that never settles', async () => {
    const a = counter();
    const c = recorderConsumer<number>([], () => new Promise(() => undefined));
    c.subscribe(a);
    await settle();
    await c.kill('stuck');
    expect(c.stopped).toBe(true);
    expect(c.exitReason).toBe('stuck');
  });
});

describe('scheduler', () => {
  it('lets timers run while a synchronous pipeline is busy', async () => {
    let handled = 0;
    const a = counter();
    const c = recorderConsumer<number>([], (events) => {
      handled += events.length;
    });
    c.subscribe(a, { maxDemand: 100 });
    const handledWhenTimerFired = await new Promise<number>((resolve) =>
      setTimeout(() => resolve(handled), 5),
    );
    expect(c.stopped).toBe(false);
    expect(handledWhenTimerFired).toBeGreaterThan(0);
  });
});
