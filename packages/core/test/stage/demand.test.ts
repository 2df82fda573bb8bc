import { describe, expect, it } from 'vitest';
import { AutomaticDemand } from '../../src/stage/demand.ts';

describe('AutomaticDemand', () => {
  it('asks maxDemand on subscribe', () => {
    const d = new AutomaticDemand(5, 10);
    expect(d.subscribe()).toBe(10);
    expect(d.pending).toBe(10);
  });

  it('hands out chunks of maxDemand - minDemand', () => {
    expect(new AutomaticDemand(5, 10).chunkSize).toBe(5);
    expect(new AutomaticDemand(750, 1000).chunkSize).toBe(250);
    expect(new AutomaticDemand(0, 1).chunkSize).toBe(1);
  });

  it('re-asks to top up to maxDemand once pending falls to minDemand', () => {
    const d = new AutomaticDemand(5, 10);
    d.subscribe();
    expect(d.consume(5)).toBe(5); // 10 - 5 = 5 <= 5: ask 5, back to 10
    expect(d.pending).toBe(10);
  });

  it('does not ask while pending stays above minDemand', () => {
    const d = new AutomaticDemand(750, 1000);
    d.subscribe();
    expect(d.consume(100)).toBe(0);
    expect(d.consume(100)).toBe(0);
    expect(d.pending).toBe(800);
    expect(d.consume(100)).toBe(300); // 700 <= 750: ask 300
    expect(d.pending).toBe(1000);
  });

  it('counts events beyond demand as excess and never lets them raise demand', () => {
    const d = new AutomaticDemand(0, 2);
    d.subscribe();
    expect(d.consume(2)).toBe(2);
    d.pending = 1; // pretend only 1 is outstanding
    expect(d.consume(3)).toBe(2);
    expect(d.excess).toBe(2);
    expect(d.pending).toBe(2);
  });
});
