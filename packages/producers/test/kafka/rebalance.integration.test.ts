import { describeWithBroker } from '@sluice/producers/testing/vitest';
import { expect, it } from 'vitest';
// The scenario lives with its benchmark (npm run bench:kafka-rebalance), which prints the timings.
import { runRebalanceScenario } from '../../../../bench/src/kafka-rebalance-scenario.ts';
import { forEachKafkaClient } from './helpers.ts';

// 3 members on 12 partitions at a steady rate; a 4th joins, one leaves
// cleanly, one is SIGKILLed. Asserts what the producer promises through
// every change: nothing lost, duplicates bounded by what members had
// buffered or handled but not yet committed. Pauses are measured, not asserted.
forEachKafkaClient((client) =>
  describeWithBroker(
    'kafka',
    `kafka producer: a group of 4 rebalancing under load [${client}]`,
    () => {
      it('loses nothing and keeps duplicates within what was in flight when a member joins, leaves and is SIGKILLed', async () => {
        const r = await runRebalanceScenario({ client, settleMs: 1_000 });
        console.info(
          `[kafka rebalance test, ${client} ${r.groupProtocol}] ${r.handled} handled, ${r.lost} lost, ${r.duplicates} duplicates (bound ${r.duplicateBound}); ` +
            r.events
              .map(
                (e) =>
                  `${e.name}: ${e.moved} moved, unmoved stop max ${e.unmovedMaxStopMs} ms, moved pause max ${e.movedMaxPauseMs} ms, ${e.duplicates} duplicates`,
              )
              .join('; '),
        );
        expect(r.lost).toBe(0);
        expect(r.events.map((e) => e.name)).toEqual(['start', 'join', 'leave', 'kill']);
        // Each change moved partitions (at the start all 12 found their first member).
        for (const e of r.events) expect(e.moved).toBeGreaterThan(0);
        expect(r.duplicates).toBeLessThanOrEqual(r.duplicateBound);
      }, 240_000);
    },
  ),
);
