/**
 * Stage-level regressions for the broadcast and partition dispatchers: real
 * producers and consumers, waiting on conditions, never on time.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  BroadcastDispatcher,
  consumer,
  producer,
  type Cancellation,
  type Stage,
} from '../../src/index.ts';
import { memoryLogger, settle, until } from '../helpers.ts';

const stages: Stage<unknown, unknown>[] = [];
function track<S>(s: S): S {
  stages.push(s as Stage<unknown, unknown>);
  return s;
}
afterEach(async () => {
  await Promise.all(stages.splice(0).map((s) => s.kill('test-end')));
});

describe('BroadcastDispatcher on stages', () => {
  it('keeps the events that arrive after the only consumer cancelled, for the next one', async () => {
    // A producer that emits what it owes only when told to, as a source
    // that waits for data would: events can arrive after their asker left.
    let next = 1;
    let owed = 0;
    const cancels: Cancellation[] = [];
    const p = track(
      producer<number>(
        {
          handleDemand(demand) {
            owed += demand;
          },
          handleInfo() {
            const events = Array.from({ length: owed }, () => next++);
            owed = 0;
            return events;
          },
          handleCancel(c) {
            cancels.push(c);
          },
        },
        { dispatcher: new BroadcastDispatcher<number>(), logger: memoryLogger() },
      ),
    );
    const a = track(consumer<number>({ handleEvents() {} }, { logger: memoryLogger() }));
    const sub = a.subscribe(p, { maxDemand: 10, minDemand: 5, cancel: 'temporary' });
    await until(() => owed === 10);
    a.cancel(sub, 'enough');
    await until(() => cancels.length === 1);
    p.send('emit'); // 1..10 arrive with no consumer: they must wait in the buffer

    const got: number[] = [];
    const b = track(
      consumer<number>(
        {
          handleEvents(events) {
            got.push(...events);
          },
        },
        { logger: memoryLogger() },
      ),
    );
    b.subscribe(p, { maxDemand: 10, minDemand: 5 });
    while (got.length < 30) {
      await until(() => owed > 0 || got.length >= 30);
      p.send('emit');
      await settle();
    }
    // Nothing vanished, nothing was sent twice.
    expect(got).toEqual(Array.from({ length: got.length }, (_, i) => i + 1));
  });
});
