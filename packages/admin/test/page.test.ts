/**
 * The live page in a real browser: playwright-core driving Debian's
 * Chromium against a running pipeline. Skipped (saying how to install
 * Chromium) when /usr/bin/chromium is missing, unless
 * SLUICE_REQUIRE_BROKERS=1, when it fails.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createPipeline, Message, type Logger, type ProducerModule } from '@sluice/core';
import { startAdminServer } from '../src/index.ts';

const CHROMIUM = '/usr/bin/chromium';
const TOKEN = 'page-test-token-0123456789';
const required = process.env['SLUICE_REQUIRE_BROKERS'] === '1';
const present = existsSync(CHROMIUM);
if (!present && !required) {
  console.warn(
    `skipping the live page test: ${CHROMIUM} is missing; run \`apt-get install chromium\``,
  );
}

const quiet: Logger = {
  error: () => undefined,
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
  child: () => quiet,
};

/** An endless pull producer: numbered messages, as many as asked. */
function counting(): ProducerModule {
  let next = 0;
  return {
    init: () => ({
      handleDemand: (demand) =>
        new Promise<Message[]>((r) =>
          setTimeout(() => {
            const out = Array.from({ length: demand }, () => {
              const n = next++;
              return new Message({
                data: n,
                id: n,
                acknowledger: { ack: () => undefined },
                ackRef: 0,
              });
            });
            r(out);
          }, 5),
        ),
    }),
  };
}

describe.skipIf(!present && !required)('the live page in Chromium', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('shows every stage, rising counters, Pause/Resume stop and restart the acked count, and a resize shows', async () => {
    expect(present, `${CHROMIUM} is missing: run \`apt-get install chromium\``).toBe(true);
    const pipeline = createPipeline({
      name: 'page-test',
      logger: quiet,
      producer: { module: counting() },
      processors: { default: { concurrency: 2 } },
      batchers: { sink: { batchSize: 10, batchTimeout: 20 } },
      handleMessage: (_k, m) => m.putBatcher('sink'),
      handleBatch: (_b, messages) => messages,
    });
    await pipeline.start();
    cleanups.push(() => pipeline.stop());
    const admin = await startAdminServer(pipeline, { port: 0, token: TOKEN });
    cleanups.push(() => admin.close());

    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox'],
    });
    cleanups.push(() => browser.close());
    const page = await browser.newPage();
    await page.goto(`${admin.url}/`);

    for (const stage of [
      'page-test.producer',
      'page-test.processor.default',
      'page-test.batcher.sink',
    ]) {
      await expect.poll(() => page.locator('.box h3', { hasText: stage }).count()).toBe(1);
    }
    const acked = async () => Number(await page.locator('#stat-acked').textContent());
    await expect.poll(acked, { timeout: 10_000 }).toBeGreaterThan(0);
    const first = await acked();
    await expect.poll(acked, { timeout: 10_000 }).toBeGreaterThan(first);
    // Per-stage numbers: a message rate on the processors, batch fill on the batcher.
    await expect
      .poll(() => page.locator('#box-page-test-processor-default .line-1').textContent(), {
        timeout: 10_000,
      })
      .toMatch(/^[1-9]\d* msg\/s$/);
    await expect
      .poll(() => page.locator('#box-page-test-batcher-sink').textContent(), { timeout: 10_000 })
      .toMatch(/batch fill \d+% of 10 \([1-9]\d* batches\)/);

    await page.fill('#token', TOKEN);
    await page.click('#pause');
    await expect
      .poll(() => page.locator('#status').textContent(), { timeout: 10_000 })
      .toContain('paused');
    // What the processors and batcher held finishes; then the count stays put.
    await page.waitForTimeout(1000);
    const paused = pipeline.stats().successful;
    await page.waitForTimeout(2500);
    expect(pipeline.stats().successful).toBe(paused);
    expect(await acked()).toBe(paused);

    mkdirSync(resolve(import.meta.dirname, '../../../test-results'), { recursive: true });
    await page.screenshot({
      path: resolve(import.meta.dirname, '../../../test-results/admin-page.png'),
      fullPage: true,
    });

    await page.click('#resume');
    await expect.poll(acked, { timeout: 10_000 }).toBeGreaterThan(paused);

    // Resize from the page: the processor box shows the new concurrency.
    const processor = '#box-page-test-processor-default';
    expect(await page.locator(`${processor} .line-0`).textContent()).toBe('concurrency 2');
    await page.fill('#concurrency-page-test-processor-default', '4');
    await page.click('#set-page-test-processor-default');
    await expect
      .poll(() => page.locator('#result').textContent(), { timeout: 10_000 })
      .toBe('page-test.processor.default: 2 → 4');
    await expect
      .poll(() => page.locator(`${processor} .line-0`).textContent(), { timeout: 10_000 })
      .toBe('concurrency 4');
    expect(pipeline.topology().processors[0]?.concurrency).toBe(4);
    await page.fill('#concurrency-page-test-batcher-sink', '3');
    await page.click('#set-page-test-batcher-sink');
    await expect
      .poll(() => page.locator('#box-page-test-batcher-sink .line-0').textContent(), {
        timeout: 10_000,
      })
      .toBe('concurrency 3');
    await expect.poll(acked, { timeout: 10_000 }).toBeGreaterThan(await acked());
  }, 60_000);
});
