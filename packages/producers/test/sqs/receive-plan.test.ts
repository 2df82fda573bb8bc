import { describe, expect, it } from 'vitest';
import { ReceivePlan } from '../../src/sqs/receive-plan.ts';

type Step =
  | { demand: number }
  | { next: number[] }
  | { done: [ask: number, received: number] }
  | { state: { unmet: number; covered: number; inFlight: number } };

function run(plan: ReceivePlan, steps: Step[]): void {
  for (const step of steps) {
    if ('demand' in step) plan.addDemand(step.demand);
    else if ('next' in step) expect(plan.next()).toEqual(step.next);
    else if ('done' in step) plan.done(...step.done);
    else {
      expect({ unmet: plan.unmet, covered: plan.covered, inFlight: plan.inFlight }).toEqual(
        step.state,
      );
    }
  }
}

describe('ReceivePlan', () => {
  it.each<[string, number, number, Step[]]>([
    ['asks for the demand when it is below 10', 4, 10, [{ demand: 7 }, { next: [7] }]],
    [
      'splits demand above 10 over parallel receives of at most 10',
      4,
      10,
      [
        { demand: 35 },
        { next: [10, 10, 10, 5] },
        { state: { unmet: 35, covered: 35, inFlight: 4 } },
      ],
    ],
    [
      'runs no more receives than maxConcurrent, and starts the next when one returns',
      2,
      10,
      [{ demand: 50 }, { next: [10, 10] }, { next: [] }, { done: [10, 10] }, { next: [10] }],
    ],
    [
      'never asks beyond demand: a short receive frees only its own shortfall',
      4,
      10,
      [
        { demand: 12 },
        { next: [10, 2] },
        { done: [10, 6] },
        { state: { unmet: 6, covered: 2, inFlight: 1 } },
        { next: [4] },
      ],
    ],
    [
      'adds new demand on top of what the receives in flight cover',
      4,
      10,
      [{ demand: 5 }, { next: [5] }, { demand: 5 }, { next: [5] }, { next: [] }],
    ],
    ['respects a smaller maxNumberOfMessages', 3, 4, [{ demand: 10 }, { next: [4, 4, 2] }]],
    [
      'runs one receive at a time after an empty one, and all again once messages come',
      4,
      10,
      [
        { demand: 40 },
        { next: [10, 10, 10, 10] },
        { done: [10, 0] },
        { done: [10, 0] },
        { done: [10, 0] },
        { next: [] },
        { done: [10, 0] },
        { next: [10] },
        { done: [10, 3] },
        { next: [10, 10, 10, 7] },
      ],
    ],
    ['asks nothing without demand', 4, 10, [{ next: [] }, { demand: 0 }, { next: [] }]],
  ])('%s', (_name, maxConcurrent, maxPerRequest, steps) => {
    run(new ReceivePlan(maxConcurrent, maxPerRequest), steps);
  });
});
