/**
 * `npm run bench:stage`: events/s of the stage core, a producer feeding two
 * consumers at maxDemand 10, 100 and 1000, beside a plain async loop and a
 * sync loop measured in the same run. Every case runs in a fresh process:
 * one warm-up run, then RUNS counted runs; the median is reported.
 *
 *   BENCH_N     events per run (default 2,000,000)
 *   BENCH_RUNS  counted runs per case (default 5)
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { consumer, producer } from '@sluice/core/stage';
import { formatRate, median, table } from './stats.ts';

const N = Number(process.env['BENCH_N'] ?? 2_000_000);
const RUNS = Number(process.env['BENCH_RUNS'] ?? 5);

type CaseName = 'stage-10' | 'stage-100' | 'stage-1000' | 'async-loop' | 'sync-loop';
const CASES: CaseName[] = ['sync-loop', 'async-loop', 'stage-10', 'stage-100', 'stage-1000'];

/** Producer (integers on demand) → 2 consumers that sum what they get. */
function runStage(n: number, maxDemand: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    let next = 0;
    let received = 0;
    let sum = 0;
    const p = producer<number>({
      handleDemand(demand) {
        const count = Math.min(demand, n - next);
        const events = new Array<number>(count);
        for (let i = 0; i < count; i++) events[i] = next++;
        return events;
      },
    });
    const handleEvents = (events: number[]): void => {
      for (const e of events) sum += e;
      received += events.length;
      if (received === n) {
        const elapsed = performance.now() - start;
        void Promise.all([p.stop(), c1.stop(), c2.stop()]).then(() => resolve(elapsed), reject);
      }
    };
    const c1 = consumer<number>({ handleEvents }, { subscribeTo: [[p, { maxDemand }]] });
    const c2 = consumer<number>({ handleEvents }, { subscribeTo: [[p, { maxDemand }]] });
    if (sum < 0) reject(new Error('unreachable'));
  });
}

/** The same work written by hand: an awaited no-op handler per event. */
async function runAsyncLoop(n: number): Promise<number> {
  const start = performance.now();
  let sum = 0;
  const handle = async (e: number): Promise<void> => {
    sum += e;
  };
  for (let i = 0; i < n; i++) await handle(i);
  const elapsed = performance.now() - start;
  if (sum < 0) throw new Error('unreachable');
  return elapsed;
}

function runSyncLoop(n: number): number {
  const start = performance.now();
  let sum = 0;
  const handle = (e: number): void => {
    sum += e;
  };
  for (let i = 0; i < n; i++) handle(i);
  const elapsed = performance.now() - start;
  if (sum < 0) throw new Error('unreachable');
  return elapsed;
}

async function measure(name: CaseName, n: number): Promise<number> {
  switch (name) {
    case 'sync-loop':
      return runSyncLoop(n);
    case 'async-loop':
      return runAsyncLoop(n);
    default:
      return runStage(n, Number(name.split('-')[1]));
  }
}

/** Child: one warm-up and RUNS counted runs of one case; reports elapsed ms. */
async function child(name: CaseName): Promise<void> {
  await measure(name, Math.min(N, 200_000));
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) times.push(await measure(name, N));
  process.send?.({ times });
}

function runChild(name: CaseName): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const proc = fork(fileURLToPath(import.meta.url), ['--case', name], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    proc.once('message', (m) => resolve((m as { times: number[] }).times));
    proc.once('exit', (code) =>
      code === 0 ? undefined : reject(new Error(`${name} exited with ${code}`)),
    );
  });
}

async function main(): Promise<void> {
  const caseIndex = process.argv.indexOf('--case');
  if (caseIndex !== -1) {
    await child(process.argv[caseIndex + 1] as CaseName);
    return;
  }
  console.log(
    `stage core: producer → 2 consumers, N = ${N.toLocaleString()}, ${RUNS} runs per case, node ${process.version}`,
  );
  const rates = new Map<CaseName, number>();
  const rows: string[][] = [];
  for (const name of CASES) {
    const times = await runChild(name);
    const perSecond = times.map((ms) => N / (ms / 1000));
    const m = median(perSecond);
    rates.set(name, m);
    rows.push([
      name,
      formatRate(m),
      `${formatRate(Math.min(...perSecond))} – ${formatRate(Math.max(...perSecond))}`,
    ]);
  }
  const asyncLoop = rates.get('async-loop') as number;
  for (const row of rows) {
    row.push(`${((rates.get(row[0] as CaseName) as number) / asyncLoop).toFixed(2)}×`);
  }
  console.log(table(['case', 'events/s (median)', 'min – max', 'vs async loop'], rows));
}

await main();
