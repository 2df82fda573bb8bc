/**
 * GenStage's partition_dispatcher_test.exs, translated to Sluice's dispatcher
 * contract: `subscribe`, `cancel` and `ask` return the upstream demand,
 * `dispatch` returns the leftovers; deliveries, infos and discards go through
 * a recording DispatchTarget. Subscriptions are strings (GenStage's refs).
 *
 * GenStage reads `{waiting, pending}` from its state; {@link expectWaiting}
 * reads them through the contract on a replayed copy: `waiting` from what a
 * large dispatch of routable events does not leave over, `pending` from what
 * an ask returns (through a free partition, or the test's own subscription).
 *
 * Sluice's `hash` returns the partition alone (GenStage's returns `{event,
 * partition}` or `:none`; Sluice's returns `undefined` for none). Where a test
 * relies on `:erlang.phash2` sending every event to partition 0, the
 * translation passes a hash that does the same, since Sluice's default hash
 * of an integer is the integer modulo the partition count.
 *
 * Skipped: nothing. OTP mechanics become the target: `{:"$gen_consumer", ...}`
 * messages are deliveries, `send(self(), msg)` is `info`.
 */
import { describe, expect, it } from 'vitest';
import {
  PartitionDispatcher,
  type PartitionDispatcherOptions,
} from '../../src/stage/partition-dispatcher.ts';
import { Scenario } from './scenario.ts';

type D = PartitionDispatcher<unknown, string>;
type Sc = Scenario<D, unknown, string>;
const N = 1000;

function scenario(options: PartitionDispatcherOptions<unknown>): Sc {
  return new Scenario(() => new PartitionDispatcher<unknown, string>(options));
}

/** The partitions phash2 picks for these tests' events: all partition 0. */
const allToZero = { partitions: 2, hash: () => 0 };

/**
 * Checks GenStage's `{waiting, pending}`. `sample` is an event the hash
 * routes to some partition; `own` a subscription of the test, used to ask
 * when no partition is free.
 */
function expectWaiting(
  sc: Sc,
  expected: [waiting: number, pending: number],
  sample: unknown,
  own?: string,
): void {
  const waiting = sc.probe((d, rec) => N - d.dispatch(Array(N).fill(sample), rec.target).length);
  const pending = sc.probe((d, rec) => {
    let via = own;
    for (const partition of d.partitions) {
      try {
        d.subscribe('probe', { partition });
        via = 'probe';
        break;
      } catch {
        // taken: try the next one
      }
    }
    if (via === undefined) throw new Error('no subscription to ask through');
    return N - d.ask(via, N, rec.target);
  });
  expect([waiting, pending]).toEqual(expected);
}

describe('GenStage partition_dispatcher_test.exs', () => {
  // gen_stage partition_dispatcher_test.exs: "subscribes, asks and cancels"
  it('subscribes, asks and cancels', () => {
    const sc = scenario({ partitions: 2 });
    // Subscribe, ask, and cancel with demand left
    expect(sc.step((d) => d.subscribe('ref', { partition: 0 }))).toBe(0);
    expect(sc.step((d, t) => d.ask('ref', 10, t))).toBe(10);
    expectWaiting(sc, [10, 0], 0);
    expect(sc.step((d) => d.cancel('ref'))).toBe(0);
    expectWaiting(sc, [10, 10], 0);

    // Subscribe again: the same demand is back
    expect(sc.step((d) => d.subscribe('ref', { partition: 1 }))).toBe(0);
    expect(sc.step((d, t) => d.ask('ref', 5, t))).toBe(0);
    expectWaiting(sc, [10, 5], 0);
    expect(sc.step((d) => d.cancel('ref'))).toBe(0);
    expectWaiting(sc, [10, 10], 0);

    // Dispatch with no consumers
    expect(sc.step((d, t) => d.dispatch([0, 1, 2, 3], t))).toEqual([]);
    expectWaiting(sc, [6, 10], 0);
  });

  // gen_stage partition_dispatcher_test.exs: "subscribes, asks and dispatches"
  it('subscribes, asks and dispatches', () => {
    const sc = scenario({ partitions: 1 });
    expect(sc.step((d) => d.subscribe('ref', { partition: 0 }))).toBe(0);

    expect(sc.step((d, t) => d.ask('ref', 3, t))).toBe(3);
    expect(sc.step((d, t) => d.dispatch([1], t))).toEqual([]);
    expectWaiting(sc, [2, 0], 1, 'ref');
    expect(sc.deliveredTo('ref')).toEqual([[1]]);

    expect(sc.step((d, t) => d.ask('ref', 3, t))).toBe(3);
    expectWaiting(sc, [5, 0], 1, 'ref');

    expect(sc.step((d, t) => d.dispatch([2, 5, 6, 7, 8, 9, 11], t))).toEqual([9, 11]);
    expectWaiting(sc, [0, 0], 1, 'ref');
    expect(sc.deliveredTo('ref')).toEqual([[1], [2, 5, 6, 7, 8]]);
  });

  // gen_stage partition_dispatcher_test.exs: "subscribes, asks and dispatches to custom partitions"
  it('subscribes, asks and dispatches to custom partitions', () => {
    const sc = scenario({
      partitions: ['odd', 'even'],
      hash: (e) => ((e as number) % 2 === 0 ? 'even' : 'odd'),
    });
    expect(sc.step((d) => d.subscribe('ref', { partition: 'odd' }))).toBe(0);

    expect(sc.step((d, t) => d.ask('ref', 3, t))).toBe(3);
    expect(sc.step((d, t) => d.dispatch([1], t))).toEqual([]);
    expectWaiting(sc, [2, 0], 1);
    expect(sc.deliveredTo('ref')).toEqual([[1]]);

    expect(sc.step((d, t) => d.ask('ref', 3, t))).toBe(3);
    expectWaiting(sc, [5, 0], 1);

    expect(sc.step((d, t) => d.dispatch([5, 7, 9, 11, 13, 15, 17], t))).toEqual([15, 17]);
    expectWaiting(sc, [0, 0], 1);
    expect(sc.deliveredTo('ref')).toEqual([[1], [5, 7, 9, 11, 13]]);
  });

  // gen_stage partition_dispatcher_test.exs: "subscribes, asks and dispatches to partitions or none"
  it('subscribes, asks and dispatches to partitions or none', () => {
    const sc = scenario({
      partitions: ['odd', 'even'],
      hash: (e) => {
        const n = e as number;
        if (n % 3 === 0) return undefined;
        return n % 2 === 0 ? 'even' : 'odd';
      },
    });
    expect(sc.step((d) => d.subscribe('even', { partition: 'even' }))).toBe(0);
    expect(sc.step((d) => d.subscribe('odd', { partition: 'odd' }))).toBe(0);

    expect(sc.step((d, t) => d.ask('even', 4, t))).toBe(4);
    expect(sc.step((d, t) => d.ask('odd', 4, t))).toBe(4);
    const events = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
    // Discarded events count for no partition: 8 are routed, 12 is left over
    expect(sc.step((d, t) => d.dispatch(events, t))).toEqual([12]);

    expect(sc.deliveredTo('even')).toEqual([[2, 4, 8, 10]]);
    expect(sc.deliveredTo('odd')).toEqual([[1, 5, 7, 11]]);
    expectWaiting(sc, [0, 0], 1, 'odd');
    // Sluice reports the discards (3, 6 and 9); upstream sent more than it
    // was asked, so nothing needs asking again.
    expect(sc.rec.discarded).toEqual([3]);
    expect(sc.rec.reasked).toEqual([]);
  });

  // gen_stage partition_dispatcher_test.exs: "buffers events before subscription"
  it('buffers events before subscription', () => {
    const sc = scenario(allToZero);
    // One subscription queues events for the other partition
    expect(sc.step((d) => d.subscribe('ref1', { partition: 1 }))).toBe(0);
    expect(sc.step((d, t) => d.ask('ref1', 5, t))).toBe(5);
    expect(sc.step((d, t) => d.dispatch([1, 2, 5, 6, 7], t))).toEqual([]);
    expectWaiting(sc, [0, 0], 1);
    expect(sc.rec.delivered).toEqual([]);

    expect(sc.step((d, t) => d.dispatch([8, 9], t))).toEqual([8, 9]);
    expectWaiting(sc, [0, 0], 1);

    // Another subscription gets the queued events
    expect(sc.step((d) => d.subscribe('ref0', { partition: 0 }))).toBe(0);
    expect(sc.step((d, t) => d.ask('ref0', 5, t))).toBe(5);
    expectWaiting(sc, [5, 0], 1, 'ref1');
    expect(sc.deliveredTo('ref0')).toEqual([[1, 2, 5, 6, 7]]);

    expect(sc.step((d, t) => d.dispatch([1, 2], t))).toEqual([]);
    expectWaiting(sc, [3, 0], 1, 'ref1');
  });

  // gen_stage partition_dispatcher_test.exs: "buffers events after subscription"
  it('buffers events after subscription', () => {
    const sc = scenario(allToZero);
    expect(sc.step((d) => d.subscribe('ref0', { partition: 0 }))).toBe(0);
    expect(sc.step((d, t) => d.ask('ref0', 5, t))).toBe(5);
    expectWaiting(sc, [5, 0], 1);

    expect(sc.step((d) => d.subscribe('ref1', { partition: 1 }))).toBe(0);
    expect(sc.step((d, t) => d.ask('ref1', 5, t))).toBe(5);
    expectWaiting(sc, [10, 0], 1, 'ref1');

    // All events go to partition 0: half of them are queued
    expect(sc.step((d, t) => d.dispatch([1, 2], t))).toEqual([]);
    expect(sc.step((d, t) => d.dispatch([5, 6, 7, 1, 2, 5, 6, 7], t))).toEqual([]);
    expectWaiting(sc, [0, 0], 1, 'ref1');
    expect(sc.deliveredTo('ref0')).toEqual([
      [1, 2],
      [5, 6, 7],
    ]);

    expect(sc.step((d, t) => d.ask('ref0', 5, t))).toBe(5);
    expectWaiting(sc, [5, 0], 1, 'ref1');
    expect(sc.deliveredTo('ref0')).toEqual([
      [1, 2],
      [5, 6, 7],
      [1, 2, 5, 6, 7],
    ]);
  });

  // gen_stage partition_dispatcher_test.exs: "subscribes, asks and cancels with buffer"
  // Sluice differs here, as docs/architecture.md says: "Unlike GenStage, a
  // cancelled partition keeps its queue: the consumer that takes the
  // partition over receives those events, and infos queued behind them wait
  // for it." GenStage drops the 5 queued events, asks for 5 again and
  // delivers the info at the cancel; Sluice asks nothing and keeps both.
  it('subscribes, asks and cancels with buffer', () => {
    const sc = scenario(allToZero);
    expect(sc.step((d) => d.subscribe('ref1', { partition: 1 }))).toBe(0);
    expect(sc.step((d, t) => d.ask('ref1', 5, t))).toBe(5);
    expectWaiting(sc, [5, 0], 1);

    expect(sc.step((d) => d.subscribe('ref0', { partition: 0 }))).toBe(0);
    expect(sc.step((d, t) => d.dispatch([1, 2, 5, 6, 7], t))).toEqual([]);
    expectWaiting(sc, [0, 0], 1, 'ref1');
    expect(sc.deliveredTo('ref0')).toEqual([]);

    // The info is not an event
    sc.step((d, t) => d.info('hello', t));
    expect(sc.step((d) => d.cancel('ref0'))).toBe(0);
    expectWaiting(sc, [0, 0], 1, 'ref1');
    expect(sc.rec.infos).toEqual([]);

    // The next consumer of partition 0 gets the queue, then the info goes
    expect(sc.step((d) => d.subscribe('next0', { partition: 0 }))).toBe(0);
    expect(sc.step((d, t) => d.ask('next0', 5, t))).toBe(5);
    expect(sc.deliveredTo('next0')).toEqual([[1, 2, 5, 6, 7]]);
    expect(sc.rec.infos).toEqual(['hello']);
  });

  // gen_stage partition_dispatcher_test.exs: "delivers info to current process"
  it('delivers info to current process', () => {
    const sc = scenario({ partitions: 2 });
    expect(sc.step((d) => d.subscribe('ref0', { partition: 0 }))).toBe(0);
    expect(sc.step((d) => d.subscribe('ref1', { partition: 1 }))).toBe(0);
    expect(sc.step((d, t) => d.ask('ref1', 3, t))).toBe(3);
    expectWaiting(sc, [3, 0], 1, 'ref0');

    sc.step((d, t) => d.info('hello', t));
    expect(sc.rec.infos).toEqual(['hello']);
    expectWaiting(sc, [3, 0], 1, 'ref0'); // unchanged
  });

  // gen_stage partition_dispatcher_test.exs: "does not queue info for non-existing consumers"
  it('does not queue info for non-existing consumers', () => {
    const sc = scenario({ partitions: 2 });
    sc.step((d, t) => d.info('hello', t));
    expect(sc.rec.infos).toEqual(['hello']);
  });

  // gen_stage partition_dispatcher_test.exs: "queues info to backed up consumers"
  it('queues info to backed up consumers', () => {
    const sc = scenario(allToZero);
    expect(sc.step((d) => d.subscribe('ref0', { partition: 0 }))).toBe(0);
    expect(sc.step((d) => d.subscribe('ref1', { partition: 1 }))).toBe(0);
    expect(sc.step((d, t) => d.ask('ref1', 3, t))).toBe(3);
    expect(sc.step((d, t) => d.dispatch([1, 2, 5], t))).toEqual([]);

    sc.step((d, t) => d.info('hello', t));
    expect(sc.rec.infos).toEqual([]);

    expect(sc.step((d, t) => d.ask('ref0', 5, t))).toBe(5);
    expect(sc.deliveredTo('ref0')).toEqual([[1, 2, 5]]);
    expect(sc.rec.infos).toEqual(['hello']);
  });

  // gen_stage partition_dispatcher_test.exs: "raises on unknown partition"
  it('raises on unknown partition', () => {
    const sc = scenario({ partitions: ['foo', 'bar'], hash: () => 'oops' });
    expect(sc.step((d) => d.subscribe('ref', { partition: 'foo' }))).toBe(0);
    expect(sc.step((d, t) => d.ask('ref', 3, t))).toBe(3);
    expect(() => sc.dispatcher.dispatch([1, 2, 5], sc.rec.target)).toThrow(
      /unknown partition .*oops/,
    );
  });

  // gen_stage partition_dispatcher_test.exs: "errors if the :hash function returns a bad value"
  // Sluice's hash "Maps an event to its partition" (PartitionDispatcherOptions):
  // a bad value is one that names no partition.
  it('errors if the :hash function returns a bad value', () => {
    const sc = scenario({ partitions: ['foo', 'bar'], hash: () => ({}) as never });
    expect(sc.step((d) => d.subscribe('ref', { partition: 'foo' }))).toBe(0);
    expect(sc.step((d, t) => d.ask('ref', 3, t))).toBe(3);
    expect(() => sc.dispatcher.dispatch([1, 2, 5], sc.rec.target)).toThrow(
      /hash returned an unknown partition/,
    );
  });

  // gen_stage partition_dispatcher_test.exs: "errors on init"
  it('errors on init', () => {
    expect(() => new PartitionDispatcher({} as never)).toThrow(/partitions/);
    expect(() => new PartitionDispatcher({ partitions: ['even', 'odd'] })).toThrow(
      /a hash function is required when partitions are named/,
    );
  });

  // gen_stage partition_dispatcher_test.exs: "errors on subscribe"
  it('errors on subscribe', () => {
    const d = new PartitionDispatcher<unknown, string>({ partitions: 2 });
    expect(() => d.subscribe('ref', {})).toThrow(/partition: required by PartitionDispatcher/);
    d.subscribe('ref', { partition: 0 });
    expect(() => d.subscribe('ref2', { partition: 0 })).toThrow(/partition: 0 is already taken/);
    for (const partition of [-1, 2, 'oops']) {
      expect(() => d.subscribe('ref3', { partition })).toThrow(/partition: expected one of 0, 1/);
    }
  });
});
