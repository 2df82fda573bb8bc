/**
 * `npm start` (until the pipeline lands): runs the four seed examples at
 * once for a few seconds with live counts (on a TTY, drawn by the live
 * view's redraw loop from `@sluice/cli/view`), then prints a summary.
 * Ctrl-C stops early, cleanly.
 *
 *   SLUICE_DEMO_SECONDS   how long to run (default 3)
 */
import { startCounterChain } from './counter-chain.ts';
import { startAdder, startDie } from './dice.ts';
import { startQueueBroadcaster } from './queue-broadcaster.ts';
import { startRateLimiter } from './rate-limiter.ts';
import { LiveView, RateMeter, count } from '@sluice/cli/view';
import { producer } from '@sluice/core/stage';

const seconds = Number(process.env['SLUICE_DEMO_SECONDS'] ?? 3);
const counts = { chain: 0, chainChunks: 0, limited: 0, broadcast: 0, notified: 0 };
const printed = [0, 0, 0];

// 1. A → B → C at maxDemand 1000 / minDemand 750: C takes chunks of 250.
const chain = startCounterChain({
  maxDemand: 1000,
  minDemand: 750,
  onChunk: (events) => {
    counts.chain += events.length;
    counts.chainChunks++;
  },
});

// 2. At most 50 events per 100 ms from an eager producer.
let n = 0;
const eager = producer<number>(
  { handleDemand: (d) => Array.from({ length: d }, () => n++) },
  { name: 'eager' },
);
const limiter = startRateLimiter({
  producer: eager,
  allowed: 50,
  intervalMs: 100,
  onEvents: (events) => (counts.limited += events.length),
});

// 3. A queue broadcaster with three printers.
const broadcaster = startQueueBroadcaster<string>();
const printers = [0, 1, 2].map((i) =>
  startRateLimiter({
    producer: broadcaster.stage,
    allowed: 10,
    intervalMs: 50,
    onEvents: (events) => {
      printed[i] = (printed[i] ?? 0) + events.length;
      counts.broadcast += events.length;
    },
  }),
);
let notifying = true;
void (async () => {
  for (let i = 0; notifying; i++) {
    await broadcaster.syncNotify(`notification ${i}`);
    counts.notified++;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
})().catch(() => undefined);

// 4. Dice: one adder, two dice, different demands.
let seed = 1;
const roll = (): number => {
  seed = (seed * 48271) % 2147483647;
  return (seed % 6) + 1;
};
const red = startDie('red', roll);
const blue = startDie('blue', roll);
const adder = startAdder([red, blue], 100);

const started = Date.now();
const tty = process.stdout.isTTY;
const chainRate = new RateMeter();
/** One frame: a line per example, cut to the terminal's width by the view. */
const lines = (): string[] => {
  const elapsed = (Date.now() - started) / 1000;
  const dice = [...adder.totals.entries()].map(([k, t]) => `${k} ${t.count}`).join(', ');
  return [
    `seed examples  ${elapsed.toFixed(1)}s`,
    `  counter chain  ${count(counts.chain)} events  ${count(chainRate.sample(Date.now(), counts.chain))}/s`,
    `  rate limiter   ${count(counts.limited)} events`,
    `  broadcaster    ${counts.notified} sent → printers ${printed.join('/')}`,
    `  dice           ${dice}`,
  ];
};
const view = tty
  ? new LiveView({ render: () => lines().join('\n'), stream: process.stdout }).start()
  : undefined;
const ticker = tty ? undefined : setInterval(() => console.log(lines().join(' |')), 1000);

let stopping = false;
async function stop(reason: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  clearInterval(ticker);
  view?.stop();
  clearTimeout(timer);
  notifying = false;
  await Promise.all(
    [
      chain.a,
      chain.b,
      chain.c,
      eager,
      limiter,
      broadcaster.stage,
      ...printers,
      red,
      blue,
      adder.stage,
    ].map((s) => s.stop('shutdown')),
  );
  const rollsPerDie = [...adder.totals.entries()].map(
    ([k, t]) => `${k}: ${t.count} rolls, mean ${(t.sum / Math.max(t.count, 1)).toFixed(2)}`,
  );
  console.log(
    [
      `stopped (${reason}) after ${((Date.now() - started) / 1000).toFixed(1)}s`,
      `  counter chain: ${counts.chain.toLocaleString()} events in ${counts.chainChunks.toLocaleString()} chunks (≤ 250 each, from maxDemand 1000 / minDemand 750)`,
      `  rate limiter:  ${counts.limited} events (at most 50 per 100 ms)`,
      `  broadcaster:   ${counts.notified} notifications, printers received ${printed.join(', ')}`,
      `  dice:          ${rollsPerDie.join('; ')}`,
    ].join('\n'),
  );
}

const timer = setTimeout(() => void stop('time is up'), seconds * 1000);
process.once('SIGINT', () => void stop('SIGINT'));
process.once('SIGTERM', () => void stop('SIGTERM'));
