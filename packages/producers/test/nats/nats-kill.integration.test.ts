import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describeWithBroker } from '@sluice/producers/testing/vitest';
import { afterEach, expect, it } from 'vitest';
import { createTestStream, type NatsTestStream } from '../../src/nats/testing.ts';
import { until } from './support.ts';

const script = fileURLToPath(new URL('./fixtures/consumer.js', import.meta.url));

/** Runs the consumer script on `s`; every body it reports done goes into `done`. */
function consumer(s: NatsTestStream, done: Set<string>, counts: { lines: number }): ChildProcess {
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, NATS_URL: s.url, STREAM: s.stream, CONSUMER: s.consumer },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (!line.startsWith('done ')) return;
    counts.lines += 1;
    done.add(line.slice(5));
  });
  return child;
}

function exited(child: ChildProcess): Promise<unknown> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describeWithBroker('nats', 'natsProducer across a crash', () => {
  let s: NatsTestStream | undefined;
  const children: ChildProcess[] = [];
  afterEach(async () => {
    for (const c of children.splice(0)) {
      c.kill('SIGKILL');
      await exited(c);
    }
    await s?.delete();
  });

  it('redelivers the messages of a consumer killed with SIGKILL to a second one, which finishes them all (duplicates bounded by what was in flight)', async () => {
    s = await createTestStream({ ackWaitMs: 2000 });
    const total = 2000;
    await s.publish(total);
    const done = new Set<string>();
    const first = { lines: 0 };
    const a = consumer(s, done, first);
    children.push(a);
    await until(() => done.size >= 300, 'the first consumer to handle 300 messages');
    a.kill('SIGKILL');
    await exited(a);
    const handledByFirst = done.size;
    expect(handledByFirst).toBeLessThan(total);

    const second = { lines: 0 };
    const b = consumer(s, done, second);
    children.push(b);
    await until(() => done.size === total, 'every message to be handled', 30_000);
    await until(async () => {
      const c = await s!.counts();
      return c.pending === 0 && c.ackPending === 0;
    }, 'the consumer to be empty');
    b.kill('SIGTERM');
    expect(await exited(b)).toBe(0);

    expect(done.size).toBe(total);
    expect(second.lines).toBeGreaterThan(0);
    // A duplicate is a message the first process handled and had not acked
    // when it died: at most what it held, 20 processors × maxDemand 5 plus
    // one pull of 50 (acks go out as each chunk finishes).
    const duplicates = first.lines + second.lines - total;
    expect(duplicates).toBeLessThanOrEqual(150);
  }, 45_000);
});
