/**
 * How fast the admin server's live page (`GET /`) loads, in a real browser.
 *
 * Starts a pipeline (a pull producer, two processors, a batcher) with
 * `startAdminServer`, then loads `/` in headless Chromium (playwright-core
 * driving /usr/bin/chromium) `--runs` times (default 5), each in a fresh
 * browser context (no cache, no cookies), after one uncounted warm-up.
 * For each load it reads the page's own navigation timing: when
 * DOMContentLoaded and load ended, and when the first server-sent update
 * was drawn (the stage boxes and the acked count on the page), all in ms
 * from the start of the navigation. Prints each run and the medians.
 *
 *   npm run bench:admin-page [-- --runs 9]
 */
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { createPipeline, Message, type Logger, type ProducerModule } from '@sluice/core';
import { startAdminServer } from '@sluice/admin';
import { median, table } from './stats.ts';

const CHROMIUM = process.env['CHROMIUM'] ?? '/usr/bin/chromium';

const quiet: Logger = {
  error: () => undefined,
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
  child: () => quiet,
};

/** Numbered messages, as many as asked, a few ms apart: the page has numbers to show. */
function counting(): ProducerModule {
  let next = 0;
  return {
    init: () => ({
      handleDemand: (demand) =>
        new Promise<Message[]>((resolve) =>
          setTimeout(() => {
            resolve(
              Array.from({ length: demand }, () => {
                const n = next++;
                return new Message({ data: n, id: n, acknowledger: { ack: () => undefined } });
              }),
            );
          }, 2),
        ),
    }),
  };
}

interface Load {
  readonly domContentLoaded: number;
  readonly load: number;
  readonly firstUpdate: number;
}

async function main(): Promise<void> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: run \`apt-get install chromium\` (or set CHROMIUM)`);
  }
  const at = process.argv.indexOf('--runs');
  const runs = at === -1 ? 5 : Number(process.argv[at + 1]);
  const pipeline = createPipeline({
    name: 'page-bench',
    logger: quiet,
    producer: { module: counting() },
    processors: { default: { concurrency: 2 } },
    batchers: { sink: { batchSize: 10, batchTimeout: 20 } },
    handleMessage: (_k, m) => m.putBatcher('sink'),
    handleBatch: (_b, messages) => messages,
  });
  await pipeline.start();
  const admin = await startAdminServer(pipeline, { port: 0 });
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox'],
  });
  const loads: Load[] = [];
  try {
    for (let i = 0; i <= runs; i++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${admin.url}/`, { waitUntil: 'load' });
      // The first /events message draws the boxes and the acked count.
      // Strings, evaluated in the page (bench/ is compiled without the DOM types).
      await page.waitForFunction(
        "document.querySelectorAll('.box h3').length === 3 && (document.getElementById('stat-acked')?.textContent ?? '') !== ''",
      );
      const load = await page.evaluate<Load>(
        "(() => { const nav = performance.getEntriesByType('navigation')[0]; return { domContentLoaded: nav.domContentLoadedEventEnd, load: nav.loadEventEnd, firstUpdate: performance.now() }; })()",
      );
      await context.close();
      if (i > 0) loads.push(load); // run 0 warms up the server and the browser
    }
  } finally {
    await browser.close();
    await admin.close();
    await pipeline.stop();
  }
  const ms = (v: number) => `${v.toFixed(1)} ms`;
  console.log(
    `admin page load, ${runs} fresh browser contexts (load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')})`,
  );
  console.log(
    table(
      ['run', 'DOMContentLoaded', 'load', 'first SSE update shown'],
      [
        ...loads.map((l, i) => [
          String(i + 1),
          ms(l.domContentLoaded),
          ms(l.load),
          ms(l.firstUpdate),
        ]),
        [
          'median',
          ms(median(loads.map((l) => l.domContentLoaded))),
          ms(median(loads.map((l) => l.load))),
          ms(median(loads.map((l) => l.firstUpdate))),
        ],
      ],
    ),
  );
}

await main();
