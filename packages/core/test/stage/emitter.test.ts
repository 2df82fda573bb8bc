import { describe, expect, it } from 'vitest';
import { EventBuffer } from '../../src/stage/buffer.ts';
import { DemandDispatcher } from '../../src/stage/demand-dispatcher.ts';
import { Emitter } from '../../src/stage/emitter.ts';
import { recorder } from './recorder.ts';

/** An emitter with a DemandDispatcher and a recording target: no stages, no scheduler. */
function emitter(
  bufferSize = 10,
  keep: 'first' | 'last' = 'last',
  mode: 'forward' | 'accumulate' = 'forward',
) {
  const rec = recorder<number, object>();
  const e = new Emitter<object>(
    new DemandDispatcher<unknown>(),
    new EventBuffer<unknown>(bufferSize, keep),
    mode,
    rec.target,
  );
  return { e, ...rec };
}

describe('Emitter', () => {
  it('forwards a new consumer ask as demand and dispatches what is emitted', () => {
    const { e, delivered } = emitter();
    const a = {};
    expect(e.subscribe(a, {})).toBe(0);
    expect(e.ask(a, 3)).toBe(3);
    expect(e.serve(3, 3)).toBe(3); // nothing buffered: all of it is for handleDemand
    e.emit([1, 2, 3]);
    expect(delivered).toEqual([[a, [1, 2, 3]]]);
  });

  it('buffers what nobody asked for and serves the next demand from the buffer first', () => {
    const { e, delivered } = emitter();
    const a = {};
    e.subscribe(a, {});
    e.emit([1, 2, 3]);
    expect(delivered).toEqual([]);
    expect(e.buffer.count).toBe(3);
    expect(e.serve(e.ask(a, 5), 5)).toBe(2); // 3 from the buffer, 2 left to produce
    expect(delivered).toEqual([[a, [1, 2, 3]]]);
  });

  it('never lets new events overtake buffered ones', () => {
    const { e, delivered } = emitter();
    const a = {};
    e.subscribe(a, {});
    e.emit([1]);
    e.ask(a, 1);
    e.emit([2]); // demand exists, but 1 is still buffered: 2 waits behind it
    expect(delivered).toEqual([]);
    e.serve(0, 1);
    expect(delivered).toEqual([[a, [1]]]);
    expect(e.buffer.count).toBe(1);
  });

  it('reports what a full buffer drops', () => {
    const { e, discarded } = emitter(2);
    e.emit([1, 2, 3]);
    expect(discarded).toEqual([1]);
    expect(e.buffer.count).toBe(2);
  });

  it('holds an info until the events buffered before it are dispatched', () => {
    const { e, delivered, infos } = emitter();
    const a = {};
    e.subscribe(a, {});
    e.emit([1, 2]);
    e.infoAfterBuffered('done');
    expect(infos).toEqual([]);
    e.serve(e.ask(a, 1), 1);
    expect(infos).toEqual([]);
    e.serve(e.ask(a, 1), 1);
    expect(delivered).toEqual([
      [a, [1]],
      [a, [2]],
    ]);
    expect(infos).toEqual(['done']);
  });

  // Issue 14: with bufferKeep 'last', the info waited for the next ask even
  // though the buffer had already dropped every event in front of it.
  it('delivers an info at once when a full buffer drops the events in front of it', () => {
    const { e, infos } = emitter(2, 'last');
    e.emit([1, 2]);
    e.infoAfterBuffered('done');
    expect(infos).toEqual([]);
    e.emit([3, 4]);
    expect(infos).toEqual(['done']);
    expect(e.buffer.count).toBe(2);
  });

  it('sends an info straight to the dispatcher when nothing is buffered', () => {
    const { e, infos } = emitter();
    e.infoAfterBuffered('now');
    expect(infos).toEqual(['now']);
  });

  it('holds demand and emissions in accumulate mode, in order, for the replay', () => {
    const { e, delivered } = emitter(10, 'last', 'accumulate');
    const a = {};
    e.subscribe(a, {});
    expect(e.ask(a, 2)).toBe(2); // the dispatcher hears the ask at once, as GenStage
    e.emit([1]);
    e.holdDemand(4);
    expect(delivered).toEqual([]);
    expect(e.accumulatedCount).toBe(2);
    e.setMode('forward');
    expect(e.nextAccumulated()).toEqual({ events: [1] });
    expect(e.nextAccumulated()).toEqual({ demand: 4 });
    expect(e.nextAccumulated()).toBeUndefined();
  });

  it('cancels a consumer once and says when it was not subscribed', () => {
    const { e } = emitter();
    const a = {};
    e.subscribe(a, {});
    expect(e.cancel(a)).toBe(0);
    expect(e.cancel(a)).toBe(-1);
    expect(e.consumers.size).toBe(0);
  });

  it("counts down a producer-consumer's unmet demand as it emits", () => {
    const { e } = emitter();
    e.unmet = 5;
    e.emit([1, 2]);
    expect(e.unmet).toBe(3);
    e.emit([3, 4, 5, 6]);
    expect(e.unmet).toBe(0);
  });
});
