/**
 * The Kafka sink's `exactlyOnce` against the real broker: a process copying
 * a topic is SIGKILLed mid-run, with records and offsets in an open
 * transaction, and restarted; a read_committed reader then finds every
 * input record's output exactly once. And an aborted transaction's records
 * stay invisible to it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  KafkaJsClient,
  PlatformaticClient,
  type KafkaClientLibrary,
} from '@sluice/producers/kafka';
import {
  createTestTopic,
  kafkaTestBrokers,
  type KafkaTestTopic,
} from '@sluice/producers/kafka/testing';
import { describeWithBroker } from '@sluice/producers/testing/vitest';
import { afterEach, expect, it, vi } from 'vitest';

const script = fileURLToPath(new URL('./fixtures/eos-member.js', import.meta.url));
const COUNT = 3000;
const PARTITIONS = 3;
const clients: KafkaClientLibrary[] = ['platformatic', 'kafkajs'];

for (const client of clients) {
  describeWithBroker('kafka', `kafka sink exactlyOnce [${client}]`, () => {
    const open: { input?: KafkaTestTopic; output?: KafkaTestTopic; child?: ChildProcess } = {};

    afterEach(async () => {
      const child = open.child;
      if (child !== undefined && child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
      }
      await open.input?.delete();
      await open.output?.delete();
      for (const k of Object.keys(open)) delete open[k as keyof typeof open];
    });

    /** Starts eos-member.js; resolves with the child and a getter for how many it wrote. */
    const run = (config: Record<string, unknown>) => {
      const child = spawn(process.execPath, [script, JSON.stringify(config)], {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, KAFKA_BROKERS: kafkaTestBrokers().join(',') },
      });
      open.child = child;
      let written = 0;
      let buffered = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        buffered += chunk.toString('utf8');
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) {
          const m = /^written (\d+)$/.exec(line);
          if (m !== null) written = Number(m[1]);
        }
      });
      const exited = new Promise<NodeJS.Signals | null>((resolve) => {
        child.on('exit', (_code, signal) => resolve(signal));
      });
      return { child, exited, written: () => written };
    };

    it(
      'SIGKILLed mid-run and restarted: read_committed sees every input record exactly once',
      { timeout: 120_000 },
      async () => {
        open.input = await createTestTopic({ partitions: PARTITIONS, namePrefix: 'ktx-eos-in-' });
        open.output = await createTestTopic({ partitions: PARTITIONS, namePrefix: 'ktx-eos-out-' });
        await open.input.publish(COUNT, {
          partition: (i) => i % PARTITIONS,
          value: (i) => `in-${i}`,
        });
        const groupId = `${open.input.name}-g`;
        const base = {
          input: open.input.name,
          output: open.output.name,
          groupId,
          client,
          // Static membership (platformatic): the restarted process is the
          // same member and the same transactional id, which fences the dead
          // one's open transaction at once.
          ...(client === 'platformatic' && { instance: 'ktx-eos-0' }),
        };

        const first = run({ ...base, crashAfter: COUNT / 3 });
        const signal = await first.exited;
        expect(signal).toBe('SIGKILL');
        expect(first.written()).toBeGreaterThanOrEqual(COUNT / 3);
        expect(first.written()).toBeLessThan(COUNT);

        // Restart; done once the group's committed offsets reach every partition's end.
        const second = run(base);
        const ends = new Map<number, number>();
        for (const r of await open.input.read()) {
          ends.set(r.partition, Math.max(ends.get(r.partition) ?? 0, Number(r.offset) + 1));
        }
        await vi.waitFor(
          async () => {
            const committed = await open.input!.committedOffsets(groupId);
            for (const [p, end] of ends) {
              const c = committed.find((o) => o.partition === p)?.offset;
              if (c == null || Number(c) < end) {
                throw new Error(`partition ${p} committed ${String(c)} of ${end}`);
              }
            }
          },
          { timeout: 90_000, interval: 250 },
        );
        second.child.kill('SIGTERM');
        await second.exited;

        // The reader is kafkajs's consumer, read_committed by default. It
        // stops at the last stable offset: without static membership (kafkajs)
        // the dead process's open transaction holds that back until the broker
        // aborts it (its timeout, 10 s): read until everything is visible.
        const output = open.output;
        const records = await vi.waitFor(
          async () => {
            const read = await output.read({ timeoutMs: 30_000 });
            if (read.length < COUNT) throw new Error(`read ${read.length} of ${COUNT} records`);
            return read;
          },
          { timeout: 60_000, interval: 1_000 },
        );
        const seen = new Map<string, number>();
        for (const r of records) {
          const from = (JSON.parse(r.value ?? '{}') as { from: string }).from;
          seen.set(from, (seen.get(from) ?? 0) + 1);
        }
        const duplicates = [...seen].filter(([, n]) => n > 1).map(([v]) => v);
        const missing = Array.from({ length: COUNT }, (_, i) => `in-${i}`).filter(
          (v) => !seen.has(v),
        );
        expect({ duplicates: duplicates.length, missing: missing.length }).toEqual({
          duplicates: 0,
          missing: 0,
        });
        expect(records).toHaveLength(COUNT);
      },
    );

    it('an aborted transaction’s records are invisible to read_committed', async () => {
      open.output = await createTestTopic({ partitions: 1, namePrefix: 'ktx-eos-abort-' });
      const kafka =
        client === 'platformatic'
          ? new PlatformaticClient({ brokers: kafkaTestBrokers() })
          : new KafkaJsClient({ brokers: kafkaTestBrokers() });
      const publisher = await kafka.transactionalPublisher({
        transactionalId: `${open.output.name}-txn`,
        transactionTimeout: 10_000,
      });
      try {
        const aborted = await publisher.begin();
        await aborted.send(open.output.name, [{ value: 'aborted-1' }, { value: 'aborted-2' }]);
        await aborted.abort();
        const committed = await publisher.begin();
        await committed.send(open.output.name, [{ value: 'committed' }]);
        await committed.commit();
      } finally {
        await publisher.close();
      }
      const records = await open.output.read({ timeoutMs: 20_000 });
      expect(records.map((r) => r.value)).toEqual(['committed']);
    });
  });
}
