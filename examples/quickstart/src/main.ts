/**
 * `npm start`: runs the orders pipeline on the embedded default, a
 * generator of synthetic orders, with no broker. On a TTY it shows the
 * live view `sluice run` shows (`@sluice/cli/view`); otherwise it logs a
 * line per second. Ctrl-C (or SIGTERM) drains
 * and stops cleanly; a second Ctrl-C forces the exit.
 *
 *   SLUICE_MESSAGES   how many orders (default 3,000,000), or `endless`
 *   SLUICE_RATE       orders per second (default: as fast as possible)
 */
import { startPipelineView, type PipelineView } from '@sluice/cli/view';
import { generatorProducer, stopOnSignals, type StopReport } from '@sluice/core';
import { order, ordersPipeline, type Warehouse } from './orders.ts';

// 'endless' runs until a signal; a number is a count (0: none), as in the pipeline file.
const messages = process.env['SLUICE_MESSAGES'] ?? '3000000';
const total = messages === 'endless' ? undefined : Number(messages);
const rate =
  process.env['SLUICE_RATE'] === undefined ? undefined : Number(process.env['SLUICE_RATE']);
const warehouse: Warehouse = { batches: 0, rows: 0, bytes: 0 };
const pipeline = ordersPipeline({
  producer: generatorProducer({
    ...(total !== undefined && { count: total }),
    ...(rate !== undefined && { rate }),
    data: order,
  }),
  warehouse,
});

const tty = process.stdout.isTTY;
const started = performance.now();
let last = { at: started, acked: 0 };

function line(): string {
  const now = performance.now();
  const s = pipeline.stats();
  const acked = s.successful + s.failed;
  const perSecond = ((acked - last.acked) * 1000) / Math.max(now - last.at, 1);
  last = { at: now, acked };
  return (
    `${((now - started) / 1000).toFixed(1).padStart(5)}s  ${Math.round(perSecond).toLocaleString().padStart(11)} msg/s` +
    `  in flight ${s.inFlight.toLocaleString().padStart(6)}  acked ${s.successful.toLocaleString()}  failed ${s.failed.toLocaleString()}`
  );
}

function summary(report: StopReport, reason: string): string {
  const s = pipeline.stats();
  const seconds = (performance.now() - started) / 1000;
  return [
    `${reason}: ${(s.successful + s.failed).toLocaleString()} orders in ${seconds.toFixed(2)}s (${Math.round((s.successful + s.failed) / seconds).toLocaleString()} msg/s)`,
    `  acked ${s.successful.toLocaleString()}, failed ${s.failed.toLocaleString()} (zero amounts), un-acked ${report.unacked}`,
    `  warehouse: ${warehouse.rows.toLocaleString()} rows in ${warehouse.batches.toLocaleString()} batches, ${(warehouse.bytes / 1e6).toFixed(1)} MB`,
  ].join('\n');
}

console.log(
  `orders pipeline: ${total !== undefined ? total.toLocaleString() : 'endless'} generated orders → 2 processors → warehouse batcher (500). Ctrl-C to stop.`,
);
// Started before the pipeline, so it counts from the first message.
const view: PipelineView | undefined = tty
  ? startPipelineView(pipeline, { stream: process.stdout, ...(total !== undefined && { total }) })
  : undefined;
await pipeline.start();
const ticker = tty ? undefined : setInterval(() => console.log(line()), 1000);

let finished = false;
const finish = (report: StopReport, reason: string): void => {
  if (finished) return;
  finished = true;
  clearInterval(ticker);
  view?.stop();
  console.log(summary(report, reason));
  process.exitCode = report.unacked === 0 ? 0 : 1;
};

const removeSignals = stopOnSignals(pipeline, {
  onStopped: (report, signal) => finish(report, `stopped by ${signal}`),
});

if (total !== undefined) {
  const done = setInterval(() => {
    const s = pipeline.stats();
    if (s.successful + s.failed >= total) {
      clearInterval(done);
      void pipeline.stop().then((report) => {
        removeSignals();
        finish(report, 'done');
      });
    }
  }, 20);
}
