import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createTestQueue, type SqsTestQueue } from '@sluice/producers/sqs/testing';
import { describeWithBroker } from '@sluice/producers/testing/vitest';
import { afterEach, expect, it } from 'vitest';

const script = fileURLToPath(new URL('./fixtures/consumer.js', import.meta.url));

async function until(condition: () => boolean | Promise<boolean>, what: string, ms = 20_000) {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Runs the consumer script on `queueUrl`; every id it reports done goes into `done`. */
function consumer(queueUrl: string, done: Set<string>, counts: { lines: number }): ChildProcess {
  const child = spawn(process.execPath, [script], {
    env: {
      ...process.env,
      QUEUE_URL: queueUrl,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
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
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', resolve));
}

describeWithBroker('sqs', 'sqsProducer across a crash', () => {
  let queue: SqsTestQueue | undefined;
  const children: ChildProcess[] = [];
  afterEach(async () => {
    for (const c of children.splice(0)) {
      c.kill('SIGKILL');
      await exited(c);
    }
    await queue?.delete();
  });

  it('redelivers the messages of a consumer killed with SIGKILL to a second one, which finishes them all', async () => {
    queue = await createTestQueue({
      namePrefix: 'sluice-test-sqs-kill-',
      attributes: { VisibilityTimeout: '2' },
    });
    const sent = await queue.publish(600);
    const done = new Set<string>();
    const first = { lines: 0 };
    const a = consumer(queue.url, done, first);
    children.push(a);
    await until(() => done.size >= 150, 'the first consumer to handle 150 messages');
    a.kill('SIGKILL');
    await exited(a);
    const handledByFirst = done.size;
    expect(handledByFirst).toBeLessThan(sent.length);

    const second = { lines: 0 };
    const b = consumer(queue.url, done, second);
    children.push(b);
    await until(() => done.size === sent.length, 'every message to be handled');
    await until(async () => {
      const c = await queue!.count();
      return c.visible === 0 && c.inFlight === 0;
    }, 'the queue to be empty');
    b.kill('SIGTERM');
    expect(await exited(b)).toBe(0);

    expect(done.size).toBe(sent.length);
    expect([...done].sort()).toEqual(sent.map((m) => m.messageId).sort());
    expect(second.lines).toBeGreaterThan(0);
  }, 30_000);
});
