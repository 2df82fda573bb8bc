/**
 * The benchmark scenarios. Each `run` moves `n` messages end to end and
 * resolves once the last one is acked, recording each message's latency
 * from emission to ack.
 *
 * Sluice:
 *   A       producer (1) → processors (2, default demand) → ack; no-op async handleMessage
 *   A-sync  A with a handleMessage that returns the message (no promise)
 *   B       A + one batcher (batchSize 100, batchTimeout 1000, concurrency 2), no-op handleBatch
 *   C       B with partitionBy n % 2 on the processors
 *   D       A whose handleMessage puts JSON.stringify(data) on the message
 *   E…      handleMessage awaits a 1 ms timer, processor concurrency 10 / 100 / 1000
 *   F       B over 10M messages, with peak RSS at 1M, 5M and 10M
 *   G       A with the producer paced at BENCH_G_RATE (50k) msgs/s: latency at the defaults
 * Baselines, written as a user would by hand: see baselines.ts (N1, N1-json,
 * N2, N3, P100 for E100, NG for G).
 */
import { runLoop, runPacedLoop, runPool, runSleepPool, runStreams } from './baselines.ts';
import { G_RATE } from './shape.ts';
import { runSluice, sluice, type RunObservation } from './sluice.ts';

export type { RunObservation } from './sluice.ts';

export const SCENARIOS = [
  'A',
  'A-sync',
  'B',
  'C',
  'D',
  'E10',
  'E100',
  'E1000',
  'G',
  'F',
  'N1',
  'N2',
  'N3',
  'N1-json',
  'P100',
  'NG',
] as const;
export type Scenario = (typeof SCENARIOS)[number];

/** Runs one scenario once over `n` messages. */
export function run(scenario: Scenario, n: number): Promise<RunObservation> {
  switch (scenario) {
    case 'A':
      return runSluice(n, sluice({}));
    case 'A-sync':
      return runSluice(n, sluice({ sync: true }));
    case 'B':
      return runSluice(n, sluice({ batcher: true }));
    case 'C':
      return runSluice(n, sluice({ batcher: true, partition: true }));
    case 'D':
      return runSluice(n, sluice({ json: true }));
    case 'E10':
      return runSluice(n, sluice({ sleepMs: 1, concurrency: 10 }));
    case 'E100':
      return runSluice(n, sluice({ sleepMs: 1, concurrency: 100 }));
    case 'E1000':
      return runSluice(n, sluice({ sleepMs: 1, concurrency: 1000 }));
    case 'G':
      return runSluice(n, sluice({ paced: G_RATE }));
    case 'F':
      return runSluice(
        n,
        sluice({ batcher: true, checkpoints: [1e6, 5e6, 1e7].filter((c) => c <= n) }),
      );
    case 'N1':
      return runPool(n, false);
    case 'N1-json':
      return runPool(n, true);
    case 'N2':
      return runStreams(n);
    case 'N3':
      return Promise.resolve(runLoop(n));
    case 'P100':
      return runSleepPool(n, 100, 1);
    case 'NG':
      return runPacedLoop(n, G_RATE);
  }
}
