/**
 * `sluice run` with `telemetry.prometheus` against the real RabbitMQ: the
 * test scrapes the endpoint over HTTP while the pipeline runs and checks
 * the counters against the pipeline's own stats (the run's summary line)
 * and the backlog against what the broker reports.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createTestQueue, type RabbitMqTestQueue } from '@sluice/producers/rabbitmq/testing';
import { describeWithBroker } from '@sluice/producers/testing/vitest';
import { afterEach, expect, it } from 'vitest';

const BIN = resolve(import.meta.dirname, '../dist/bin.js');

/** The samples of a text-format scrape, by `name{labels}` as written. */
async function scrape(url: string): Promise<Map<string, number>> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  const samples = new Map<string, number>();
  for (const line of (await response.text()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

/** Polls `check` every 100 ms until it returns true; fails with `what` after `ms`. */
async function until(what: () => string, check: () => Promise<boolean>, ms = 30_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${what()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describeWithBroker('rabbitmq', 'sluice run with telemetry.prometheus', () => {
  let queue: RabbitMqTestQueue | undefined;
  let child: ChildProcess | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'sluice-cli-prom-'));
  afterEach(async () => {
    child?.kill('SIGKILL');
    await queue?.delete();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves counters that match pipeline.stats() and a backlog that matches the broker', async () => {
    queue = await createTestQueue();
    const q = queue;
    await q.publish(20, { body: (i) => (i < 5 ? `fail-${i}` : `ok-${i}`) });
    // fail-*: failed (rejected); hold-*: never settles, so the run keeps a backlog.
    writeFileSync(
      join(dir, 'handlers.mjs'),
      [
        'export function handleMessage(_p, message) {',
        '  const body = message.data.toString();',
        "  if (body.startsWith('fail')) return message.fail('asked to fail');",
        "  if (body.startsWith('hold')) return new Promise(() => {});",
        '  return message;',
        '}',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'prom.yaml'),
      [
        'name: prom-run',
        'producer:',
        '  type: rabbitmq',
        `  url: \${AMQP_URL:-amqp://guest:guest@127.0.0.1:5672}`,
        `  queue: ${q.name}`,
        '  prefetch: 10',
        'processors: { default: { concurrency: 2 } }',
        'handlers: ./handlers.mjs',
        'shutdownTimeout: 1000',
        'telemetry: { prometheus: { port: 0, host: 127.0.0.1 } }',
        '',
      ].join('\n'),
    );
    const lines: Record<string, unknown>[] = [];
    const proc = spawn(process.execPath, [BIN, 'run', 'prom.yaml'], {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, SLUICE_LOG_LEVEL: 'info' },
    });
    child = proc;
    let rest = '';
    proc.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop() ?? '';
      for (const l of parts) {
        if (l.startsWith('{')) lines.push(JSON.parse(l) as Record<string, unknown>);
      }
    });
    const exited = new Promise<number | null>((done) => proc.once('close', done));
    const seen = () => JSON.stringify(lines.slice(-5));

    await until(seen, async () => lines.some((l) => typeof l['url'] === 'string'));
    const url = lines.find((l) => typeof l['url'] === 'string')?.['url'] as string;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);

    const acked = (s: Map<string, number>, outcome: string) =>
      s.get(`sluice_messages_acked_total{pipeline="prom-run",outcome="${outcome}"}`);
    let last = new Map<string, number>();
    await until(
      () => JSON.stringify([...last]),
      async () => {
        last = await scrape(url);
        return acked(last, 'successful') === 15 && acked(last, 'failed') === 5;
      },
    );

    // 30 more that never settle: prefetch 10 are delivered and held, 20 stay ready.
    await q.publish(30, { body: (i) => `hold-${i}` });
    const labels = `{pipeline="prom-run",broker="rabbitmq",destination="${q.name}"}`;
    let broker = -1;
    await until(
      () => `broker ready ${broker}, scraped ${JSON.stringify([...last])}`,
      async () => {
        last = await scrape(url);
        broker = await q.messageCount();
        return (
          broker === 20 &&
          last.get(`sluice_backlog${labels}`) === broker &&
          last.get(`sluice_backlog_in_flight${labels}`) === 10
        );
      },
    );
    const scraped = await scrape(url);

    proc.kill('SIGTERM');
    await exited;
    const summary = lines.find((l) =>
      String(l['msg']).startsWith('prom-run: stopped by SIGTERM'),
    ) as
      | {
          received: number;
          successful: number;
          failed: number;
          inFlight: number;
          ackErrors: number;
        }
      | undefined;
    expect(summary, seen()).toBeDefined();
    const s = summary as NonNullable<typeof summary>;
    expect(s).toMatchObject({
      received: 30,
      successful: 15,
      failed: 5,
      inFlight: 10,
      ackErrors: 0,
    });
    expect(
      scraped.get('sluice_messages_received_total{pipeline="prom-run",processor="default"}'),
    ).toBe(s.received);
    expect(acked(scraped, 'successful')).toBe(s.successful);
    expect(acked(scraped, 'failed')).toBe(s.failed);
    expect(scraped.get('sluice_messages_in_flight{pipeline="prom-run"}')).toBe(s.inFlight);
    expect(scraped.get('sluice_ack_errors_total{pipeline="prom-run"}') ?? 0).toBe(s.ackErrors);
    expect(
      scraped.get('sluice_handler_duration_seconds_count{pipeline="prom-run",processor="default"}'),
    ).toBe(20);
  }, 60_000);
});
