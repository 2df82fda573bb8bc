/**
 * The DLQ replay scenario every broker's test runs: a running pipeline
 * fails every message into the dead letters; then, with the handler fixed,
 * `sluice dlq list` and `show` report them, a replay is killed (SIGKILL)
 * mid-way, a second replay finishes, and every message is handled once
 * more while the dead letters end empty.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPipeline, type Pipeline, type ProducerModule } from '@sluice/core';
import { expect } from 'vitest';
import { sluice } from './cli.ts';

/** One broker's side of the scenario. */
export interface DlqRig {
  /** The pipeline file `sluice dlq` reads (its producer section is what matters). */
  readonly file: string;
  /** Environment variables for `sluice dlq` (broker endpoints). */
  readonly env?: Readonly<Record<string, string>>;
  /** Extra `sluice dlq` flags, e.g. `--dlq QUEUE`. */
  readonly args: readonly string[];
  /** The same producer, for the running pipeline. */
  readonly producer: ProducerModule<unknown>;
  /** Sends `count` messages to the source; resolves to their bodies. */
  publish(count: number): Promise<string[]>;
  /** Messages in the dead letters, as the broker counts them. */
  dlqCount(): Promise<number>;
  /**
   * Resolves once an interrupted replay's held messages are back in the
   * dead letters; `handled` counts the distinct messages the pipeline has
   * handled since the fix (those the killed replay sent back).
   */
  settled?(handled: () => number): Promise<void>;
  /** What `show` prints as attempts for these messages. */
  readonly attempts: string;
  /** What `show` prints as the reason (a substring). */
  readonly reason: string;
}

/**
 * Polls `check` until it holds; fails with `what` after `ms`, adding what
 * `detail` reports then (e.g. which messages are missing and where).
 */
export async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  ms = 60_000,
  detail?: () => Promise<string>,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) {
      const seen = detail === undefined ? '' : ` (${await detail().catch(String)})`;
      throw new Error(`timed out waiting for ${what}${seen}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

const text = (data: unknown): string =>
  Buffer.isBuffer(data) ? data.toString('utf8') : typeof data === 'string' ? data : String(data);

/** Runs the scenario in `dir` with `count` messages. */
export async function replayScenario(rig: DlqRig, dir: string, count: number): Promise<void> {
  let failing = true;
  const handled: string[] = [];
  const pipeline: Pipeline = createPipeline({
    name: 'dlq-replay',
    producer: { module: rig.producer },
    processors: { default: { concurrency: 2 } },
    handleMessage(_p, m) {
      const body = text(m.data);
      if (failing) return m.fail(`bad order ${body}`);
      handled.push(body);
      return m;
    },
  });
  await pipeline.start();
  try {
    const bodies = await rig.publish(count);
    await until(`${count} dead letters`, async () => (await rig.dlqCount()) === count);
    failing = false;
    writeFileSync(join(dir, 'pipeline.yaml'), rig.file);
    const env = rig.env ?? {};
    const dlq = (...args: string[]) =>
      sluice(['dlq', ...args, ...rig.args, 'pipeline.yaml'], dir, { env });

    const list = await dlq('list');
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toContain(`: ${count} messages`);
    expect(list.stdout).toContain(rig.reason);

    const show = await dlq('show', '--limit', '2');
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toContain(`attempts: ${rig.attempts}`);
    expect(show.stdout).toContain(`reason: ${rig.reason}`);
    expect(show.stdout).toContain('2 shown');

    const purge = await dlq('purge');
    expect(purge.code).toBe(2);
    expect(purge.stderr).toContain('add --yes');
    expect(await rig.dlqCount()).toBe(count);

    // Interrupted: killed once two messages are replayed, at 5 per second.
    const killed = await sluice(
      ['dlq', 'replay', '--rate', '5', ...rig.args, 'pipeline.yaml'],
      dir,
      {
        env,
        onStdout: (out, child) => {
          if ((out.match(/^replayed /gm) ?? []).length >= 2) child.kill('SIGKILL');
        },
      },
    );
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    await rig.settled?.(() => new Set(handled).size);
    const rest = await dlq('replay');
    expect(rest.code, rest.stderr).toBe(0);
    expect(rest.stdout).toMatch(/\d+ replayed from .*; 0 left there/);

    await until(
      'every message handled once more',
      () => bodies.every((b) => handled.includes(b)),
      60_000,
      async () =>
        `not handled: ${bodies.filter((b) => !handled.includes(b)).join(', ')}; ` +
        `${await rig.dlqCount()} in the dead letters; replay said: ${rest.stdout.trim().split('\n').at(-1) ?? ''}`,
    );
    expect(await rig.dlqCount()).toBe(0);
    // At least once: a message sent but not yet removed when killed comes back twice.
    expect(handled.length).toBeGreaterThanOrEqual(count);
  } finally {
    await pipeline.stop();
  }
}
