/**
 * `npm run bench:kafka-rebalance`: the rebalance scenario
 * (kafka-rebalance-scenario.ts) on each adapter against the local Kafka
 * (KAFKA_BROKERS, else 127.0.0.1:9092): 3 members on 12 partitions at a
 * steady rate, then a 4th joins, one leaves cleanly, one is SIGKILLed. Per
 * event it prints how long partitions that kept their member stopped, how
 * long moved partitions paused, and the duplicates; and what was lost.
 *
 *   BENCH_REBALANCE_CLIENTS  comma-separated runs, each client[:protocol]
 *                            (default platformatic,platformatic:classic,kafkajs)
 *   BENCH_REBALANCE_RATE     messages per second over all partitions (default 600)
 */
import { runRebalanceScenario, type RebalanceScenarioResult } from './kafka-rebalance-scenario.ts';
import { table } from './stats.ts';

const runs = (process.env.BENCH_REBALANCE_CLIENTS ?? 'platformatic,platformatic:classic,kafkajs')
  .split(',')
  .map((s) => s.trim())
  .filter((s) => s !== '');
const rate = Number(process.env.BENCH_REBALANCE_RATE ?? 600);

const results: RebalanceScenarioResult[] = [];
for (const run of runs) {
  const [client, protocol] = run.split(':') as ['kafkajs' | 'platformatic', string | undefined];
  console.log(`\n${run}: running (about a minute)...`);
  const r = await runRebalanceScenario({
    client,
    groupProtocol: (protocol ?? 'auto') as 'auto' | 'classic' | 'consumer',
    rate,
    log: (line) => console.log(`  ${line}`),
  });
  results.push(r);
  console.log(
    `  steady state: longest gap of any partition ${r.steadyMaxGapMs} ms; ` +
      `${r.handled} messages, ${r.lost} lost, ${r.duplicates} duplicates (bound ${r.duplicateBound})`,
  );
}

const ms = (n: number) => `${n}`;
console.log(
  `\nRebalance: 12 partitions, ${rate} msgs/s; gaps in handling per partition, ms (median / max)\n`,
);
console.log(
  table(
    ['client', 'event', 'moved', 'unmoved stop', 'moved pause', 'duplicates'],
    results.flatMap((r) =>
      r.events.map((e) => [
        `${r.client}${r.client === 'platformatic' ? ` (${r.groupProtocol})` : ''}`,
        e.name,
        String(e.moved),
        `${ms(e.unmovedMedianStopMs)} / ${ms(e.unmovedMaxStopMs)}`,
        e.moved === 0 ? '-' : `${ms(e.movedMedianPauseMs)} / ${ms(e.movedMaxPauseMs)}`,
        String(e.duplicates),
      ]),
    ),
  ),
);
console.log(
  results
    .map(
      (r) =>
        `${r.client} ${r.groupProtocol}: steady longest gap ${r.steadyMaxGapMs} ms, lost ${r.lost}, duplicates ${r.duplicates} (bound ${r.duplicateBound})`,
    )
    .join('\n'),
);
if (results.some((r) => r.lost > 0)) process.exitCode = 1;
