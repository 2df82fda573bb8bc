/**
 * Property tests of the stage protocol. fast-check draws topologies,
 * demands, handler speeds and cancel points; across all of them:
 * - no consumer ever receives more than it asked for;
 * - no event is lost or duplicated;
 * - order holds per producer→consumer link and per partition;
 * - the producer buffer never exceeds bufferSize.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DemandDispatcher } from '../../src/stage/index.ts';
import {
  BroadcastDispatcher,
  PartitionDispatcher,
  consumer,
  producer,
  producerConsumer,
  type Stage,
  type Subscription,
} from '../../src/stage/index.ts';
import { memoryLogger, settle, until, type LogLine } from '../helpers.ts';

type Speed = 'sync' | 'microtask' | 'macrotask';

interface ConsumerPlan {
  maxDemand: number;
  minDemand: number;
  speed: Speed;
  manual: boolean;
  /** Cancel after receiving this many events (undefined: never). */
  cancelAfter: number | undefined;
}

const speed = fc.constantFrom<Speed>('sync', 'microtask', 'macrotask');

const consumerPlan = (canCancel: boolean): fc.Arbitrary<ConsumerPlan> =>
  fc
    .record({
      maxDemand: fc.integer({ min: 1, max: 20 }),
      minFraction: fc.double({ min: 0, max: 0.99, noNaN: true }),
      speed,
      manual: fc.boolean(),
      cancelAfter: canCancel
        ? fc.option(fc.integer({ min: 0, max: 60 }), { nil: undefined })
        : fc.constant(undefined),
    })
    .map(({ maxDemand, minFraction, speed: s, manual, cancelAfter }) => ({
      maxDemand,
      minDemand: Math.floor(maxDemand * minFraction),
      speed: s,
      manual,
      cancelAfter,
    }));

function pause(s: Speed): Promise<void> | undefined {
  if (s === 'sync') return undefined;
  if (s === 'microtask') return Promise.resolve();
  return new Promise((resolve) => setImmediate(resolve));
}

/** A finite producer of 0..total-1 that stops once everything is dispatched. */
function finiteProducer(
  total: number,
  producerSpeed: Speed,
  options: {
    dispatcher?:
      DemandDispatcher<number> | PartitionDispatcher<number> | BroadcastDispatcher<number>;
    demand?: 'accumulate';
    bufferSize?: number;
  },
  logger: ReturnType<typeof memoryLogger>,
) {
  let next = 0;
  const emit = (demand: number): number[] => {
    const n = Math.min(demand, total - next);
    const events = Array.from({ length: n }, () => next++);
    return events;
  };
  return producer<number>(
    {
      handleDemand(demand, stage) {
        const finish = (events: number[]): number[] => {
          if (next === total) stage.infoAfterBuffered('done');
          return events;
        };
        const p = pause(producerSpeed);
        if (p === undefined) return finish(emit(demand));
        return p.then(() => finish(emit(demand)));
      },
      handleInfo(message, stage) {
        if (message === 'done') void stage.stop('normal');
      },
    },
    { logger, ...options },
  );
}

interface Observed {
  received: number[];
  /** handleCancel ran: every event sent on the link has been handled. */
  ended: boolean;
  asked: number;
  overAsked: boolean;
  cancelled: boolean;
  stage: Stage<number, never>;
}

function observedConsumer(
  source: Stage<unknown, number> | Stage<never, number>,
  plan: ConsumerPlan,
  logger: ReturnType<typeof memoryLogger>,
  extra: { partition?: number } = {},
): Observed {
  const o: Observed = {
    received: [],
    ended: false,
    asked: 0,
    overAsked: false,
    cancelled: false,
    stage: undefined as never,
  };
  o.stage = consumer<number>(
    {
      handleSubscribe(_as, _options, sub, stage) {
        if (!plan.manual) return 'automatic';
        o.asked += plan.maxDemand;
        stage.ask(sub, plan.maxDemand);
        return 'manual';
      },
      handleCancel() {
        o.ended = true;
      },
      handleEvents(events, sub: Subscription, stage) {
        o.received.push(...events);
        if (plan.manual && o.received.length > o.asked) o.overAsked = true;
        const after = (): void => {
          if (
            plan.cancelAfter !== undefined &&
            !o.cancelled &&
            o.received.length >= plan.cancelAfter
          ) {
            o.cancelled = true;
            stage.cancel(sub, 'normal');
            return;
          }
          if (plan.manual && !o.cancelled) {
            o.asked += events.length;
            stage.ask(sub, events.length);
          }
        };
        const p = pause(plan.speed);
        if (p === undefined) return after();
        return p.then(after);
      },
    },
    { logger },
  );
  o.stage.subscribe(source, {
    maxDemand: plan.maxDemand,
    minDemand: plan.minDemand,
    cancel: plan.cancelAfter === undefined ? 'permanent' : 'temporary',
    ...extra,
  });
  return o;
}

const excessLogged = (lines: LogLine[]): boolean =>
  lines.some((l) => l.message?.includes('in excess') === true);

async function finish(
  source: Stage<never, number> | Stage<unknown, number>,
  observed: Observed[],
  plans: ConsumerPlan[],
): Promise<void> {
  await source.join();
  // permanent subscribers stop with their producer, after handling what it sent
  await Promise.all(
    observed.filter((_o, i) => plans[i]?.cancelAfter === undefined).map((o) => o.stage.join()),
  );
  // the others have handled everything once their subscription has ended
  await until(() => observed.every((o) => o.stage.stopped || o.ended));
  await Promise.all(observed.map((o) => o.stage.kill('done')));
}

const isIncreasing = (xs: number[]): boolean =>
  xs.every((x, i) => i === 0 || x > (xs[i - 1] as number));

describe('stage protocol properties', () => {
  it('DemandDispatcher: every event reaches exactly one consumer, in order, never beyond demand', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 300 }),
        speed,
        consumerPlan(false),
        fc.array(consumerPlan(true), { maxLength: 3 }),
        async (total, producerSpeed, stayer, others) => {
          const logger = memoryLogger();
          const source = finiteProducer(total, producerSpeed, {}, logger);
          const plans = [stayer, ...others];
          const observed = plans.map((plan) => observedConsumer(source, plan, logger));
          await finish(source, observed, plans);
          const all = observed.flatMap((o) => o.received).sort((a, b) => a - b);
          expect(all).toEqual(Array.from({ length: total }, (_, i) => i));
          for (const o of observed) {
            expect(isIncreasing(o.received)).toBe(true);
            expect(o.overAsked).toBe(false);
          }
          expect(excessLogged(logger.lines)).toBe(false);
        },
      ),
      { numRuns: Number(process.env.FC_RUNS ?? 150), timeout: 2000 },
    );
  });

  it('PartitionDispatcher: each partition gets exactly its events, in order, never beyond demand', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 300 }),
        speed,
        fc.array(consumerPlan(false), { minLength: 1, maxLength: 4 }),
        async (total, producerSpeed, plans) => {
          const logger = memoryLogger();
          const partitions = plans.length;
          const hash = (n: number): number => (n * 7 + 3) % partitions;
          const source = finiteProducer(
            total,
            producerSpeed,
            { dispatcher: new PartitionDispatcher<number>({ partitions, hash }) },
            logger,
          );
          const observed = plans.map((plan, partition) =>
            observedConsumer(source, plan, logger, { partition }),
          );
          await finish(source, observed, plans);
          observed.forEach((o, partition) => {
            const expected = Array.from({ length: total }, (_, i) => i).filter(
              (n) => hash(n) === partition,
            );
            expect(o.received).toEqual(expected);
            expect(o.overAsked).toBe(false);
          });
          expect(excessLogged(logger.lines)).toBe(false);
        },
      ),
      { numRuns: Number(process.env.FC_RUNS ?? 150), timeout: 2000 },
    );
  });

  it('BroadcastDispatcher: every consumer gets every event once, in order, never beyond demand', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 200 }),
        speed,
        fc.array(consumerPlan(false), { minLength: 1, maxLength: 3 }),
        async (total, producerSpeed, plans) => {
          const logger = memoryLogger();
          const source = finiteProducer(
            total,
            producerSpeed,
            { dispatcher: new BroadcastDispatcher<number>(), demand: 'accumulate' },
            logger,
          );
          const observed = plans.map((plan) => observedConsumer(source, plan, logger));
          await settle(2);
          source.setDemandMode('forward');
          await finish(source, observed, plans);
          for (const o of observed) {
            expect(o.received).toEqual(Array.from({ length: total }, (_, i) => i));
            expect(o.overAsked).toBe(false);
          }
          expect(excessLogged(logger.lines)).toBe(false);
        },
      ),
      { numRuns: Number(process.env.FC_RUNS ?? 100), timeout: 2000 },
    );
  });

  it('a producer-consumer in the middle loses, duplicates and reorders nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 300 }),
        speed,
        speed,
        consumerPlan(false),
        fc.integer({ min: 1, max: 30 }),
        async (total, producerSpeed, middleSpeed, plan, middleMax) => {
          const logger = memoryLogger();
          const source = finiteProducer(total, producerSpeed, {}, logger);
          const middle = producerConsumer<number, number>(
            {
              handleEvents(events) {
                const p = pause(middleSpeed);
                return p === undefined ? events : p.then(() => events);
              },
            },
            { logger },
          );
          middle.subscribe(source, { maxDemand: middleMax });
          const o = observedConsumer(middle, plan, logger);
          await source.join();
          await o.stage.join();
          expect(o.received).toEqual(Array.from({ length: total }, (_, i) => i));
          expect(o.overAsked).toBe(false);
          expect(excessLogged(logger.lines)).toBe(false);
        },
      ),
      { numRuns: Number(process.env.FC_RUNS ?? 150), timeout: 2000 },
    );
  });

  it('the buffer never exceeds bufferSize, and every event is either delivered or reported discarded', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 20 }),
        fc.constantFrom<'first' | 'last'>('first', 'last'),
        fc.array(fc.integer({ min: 0, max: 15 }), { maxLength: 12 }),
        fc.integer({ min: 1, max: 10 }),
        async (bufferSize, bufferKeep, bursts, maxDemand) => {
          const logger = memoryLogger();
          let next = 0;
          let peak = 0;
          const p = producer<number>(
            {
              handleDemand: () => undefined,
              handleInfo(m, stage) {
                const events = Array.from({ length: m as number }, () => next++);
                queueMicrotask(() => (peak = Math.max(peak, stage.estimateBufferedCount())));
                return events;
              },
            },
            { logger, bufferSize, bufferKeep },
          );
          for (const burst of bursts) p.send(burst);
          await settle(2);
          peak = Math.max(peak, p.estimateBufferedCount());
          const received: number[] = [];
          const c = consumer<number>({ handleEvents: (e) => void received.push(...e) }, { logger });
          c.subscribe(p, { maxDemand });
          await settle(10);
          const total = bursts.reduce((a, b) => a + b, 0);
          const discarded = logger.lines
            .filter((l) => l.message?.includes('discarded') === true)
            .reduce((sum, l) => sum + (l.object as { count: number }).count, 0);
          expect(peak).toBeLessThanOrEqual(bufferSize);
          expect(received.length + discarded).toBe(total);
          expect(isIncreasing(received)).toBe(true);
          await Promise.all([p.kill('done'), c.kill('done')]);
        },
      ),
      { numRuns: Number(process.env.FC_RUNS ?? 150), timeout: 2000 },
    );
  });
});
