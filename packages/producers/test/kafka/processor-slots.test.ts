/**
 * Which processor a keyed message goes to (processor-slots.ts): an idle one
 * first, else the one with the fewest messages out.
 */
import { describe, expect, it } from 'vitest';
import { ProcessorSlots } from '../../src/kafka/processor-slots.ts';

describe('ProcessorSlots', () => {
  it('gives each idle processor one message before any gets a second', () => {
    const slots = new ProcessorSlots(4);
    const picks = Array.from({ length: 4 }, () => slots.pick());
    expect([...picks].sort()).toEqual([0, 1, 2, 3]);
    for (let p = 0; p < 4; p++) expect(slots.out(p)).toBe(1);
  });

  it('sends the next message to the processor whose message was acked', () => {
    const slots = new ProcessorSlots(3);
    for (let i = 0; i < 6; i++) slots.pick(); // 2 out on each
    slots.released(1);
    expect(slots.pick()).toBe(1);
    slots.released(2);
    slots.released(2);
    expect(slots.pick()).toBe(2);
    expect(slots.pick()).toBe(2);
    expect([0, 1, 2].map((p) => slots.out(p))).toEqual([2, 2, 2]);
  });

  it('follows a resize: picks reach new processors, acks of removed ones change nothing', () => {
    const slots = new ProcessorSlots(2);
    slots.pick();
    slots.pick(); // 1 out on each
    slots.resize(4);
    expect([slots.pick(), slots.pick()].sort()).toEqual([2, 3]);
    expect([0, 1, 2, 3].map((p) => slots.out(p))).toEqual([1, 1, 1, 1]);
    slots.resize(1);
    slots.released(3);
    expect(slots.out(3)).toBe(0);
    expect([slots.pick(), slots.pick()]).toEqual([0, 0]);
    expect(slots.out(0)).toBe(3);
  });

  it('spreads evenly when none is idle, and never counts below zero', () => {
    const slots = new ProcessorSlots(5);
    for (let i = 0; i < 23; i++) slots.pick();
    const out = [0, 1, 2, 3, 4].map((p) => slots.out(p));
    expect(Math.max(...out) - Math.min(...out)).toBeLessThanOrEqual(1);
    const fresh = new ProcessorSlots(2);
    fresh.released(0);
    expect(fresh.out(0)).toBe(0);
  });
});
