/**
 * The rebalance scenario: 3 Sluice processes in one group consume a
 * 12-partition topic published at a steady rate; a 4th joins, one leaves
 * cleanly (SIGTERM: drain, commit, leave), one is SIGKILLed. Each change
 * waits until the group has settled (every partition handled again, then
 * `settleMs`) before the next. Publishing starts once the first 3 are up,
 * so the start is no catch-up of a backlog. Returns the members' handling logs analysed
 * (kafka-rebalance-analysis.ts). Used by `npm run bench:kafka-rebalance` and
 * by the bounded test in packages/producers/test/kafka.
 *
 * Needs the built packages (`npm run build`): the members run
 * bench/dist/kafka-rebalance-member.js.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { KafkaJsClient } from '@sluice/producers/kafka';
import { createTestTopic, kafkaTestBrokers } from '@sluice/producers/kafka/testing';
import {
  analyseRebalance,
  type GroupEvent,
  type Handling,
  type RebalanceAnalysis,
} from './kafka-rebalance-analysis.ts';
import { MEMBER } from './kafka-rebalance-member.ts';

const memberScript = fileURLToPath(
  new URL('../../bench/dist/kafka-rebalance-member.js', import.meta.url),
);

export interface RebalanceScenarioOptions {
  readonly client: 'kafkajs' | 'platformatic';
  /** @defaultValue 'auto' */
  readonly groupProtocol?: 'auto' | 'classic' | 'consumer';
  /** @defaultValue 12 */
  readonly partitions?: number;
  /** Messages published per second over all partitions. @defaultValue 600 */
  readonly rate?: number;
  /** Quiet time after the group settled, before the next change, ms. @defaultValue 3000 */
  readonly settleMs?: number;
  /** Longest wait for any one step, ms. @defaultValue 60000 */
  readonly stepTimeoutMs?: number;
  readonly log?: (line: string) => void;
}

export interface RebalanceScenarioResult extends RebalanceAnalysis {
  readonly client: string;
  readonly groupProtocol: string;
  /**
   * The most duplicates the scenario allows: for each event, each moved
   * partition may redeliver what a member had buffered plus what it handled
   * in two commit intervals (a commit refused in the rebalance, then one
   * more interval).
   */
  readonly duplicateBound: number;
  readonly ratePerPartition: number;
}

interface Member {
  readonly name: string;
  readonly child: ChildProcess;
  ready: boolean;
  exited: boolean;
}

export async function runRebalanceScenario(
  o: RebalanceScenarioOptions,
): Promise<RebalanceScenarioResult> {
  const partitions = o.partitions ?? 12;
  const rate = o.rate ?? 600;
  const settleMs = o.settleMs ?? 3_000;
  const stepTimeout = o.stepTimeoutMs ?? 60_000;
  const groupProtocol = o.groupProtocol ?? 'auto';
  const log = o.log ?? (() => undefined);
  const topic = await createTestTopic({ partitions });
  const groupId = `${topic.name}-g`;
  const handlings: Handling[] = [];
  const members: Member[] = [];
  const client = new KafkaJsClient({ brokers: kafkaTestBrokers() });
  const publisher = await client.publisher();
  let publishing = false;
  let published = 0;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const waitFor = async (what: string, ok: () => boolean): Promise<void> => {
    const deadline = Date.now() + stepTimeout;
    while (!ok()) {
      if (Date.now() > deadline) {
        throw new Error(`rebalance scenario: timed out waiting for ${what}`);
      }
      await sleep(20);
    }
  };
  // Steady publishing: every 50 ms, rate / 20 messages round-robin over the partitions.
  let publishLoop: Promise<void> = Promise.resolve();
  const publish = async () => {
    const perTick = Math.max(1, Math.round(rate / 20));
    while (publishing) {
      const batch = Array.from({ length: perTick }, (_, i) => ({
        value: `m${published + i}`,
        partition: (published + i) % partitions,
      }));
      await publisher.send(topic.name, batch);
      published += perTick;
      await sleep(50);
    }
  };
  const spawnMember = (name: string): Member => {
    const child = spawn(
      process.execPath,
      [memberScript, topic.name, groupId, o.client, groupProtocol],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, KAFKA_BROKERS: kafkaTestBrokers().join(',') },
      },
    );
    const m: Member = { name, child, ready: false, exited: false };
    let rest = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        if (line.startsWith('h ')) {
          const [, p, off, at] = line.split(' ');
          handlings.push({
            member: name,
            partition: Number(p),
            offset: Number(off),
            at: Number(at),
          });
        } else if (line === 'ready') m.ready = true;
      }
    });
    child.on('exit', () => (m.exited = true));
    members.push(m);
    return m;
  };
  // Every partition handled by a live member after `t`.
  const allHandledSince = (t: number) => () => {
    const live = new Set(members.filter((m) => !m.exited).map((m) => m.name));
    const got = new Set<number>();
    for (let i = handlings.length - 1; i >= 0; i--) {
      const h = handlings[i] as Handling;
      if (h.at < t) break;
      if (live.has(h.member)) got.add(h.partition);
    }
    return got.size === partitions;
  };
  const events: GroupEvent[] = [];
  const settle = async (what: string, since: number) => {
    await waitFor(`${what}: every partition handled again`, allHandledSince(since));
    await sleep(settleMs);
  };
  try {
    // The start counts as an event too: its duplicates are bounded like the others'.
    events.push({ name: 'start', at: Date.now() });
    for (const name of ['m1', 'm2', 'm3']) spawnMember(name);
    await waitFor('3 members ready', () => members.every((m) => m.ready));
    publishing = true;
    publishLoop = publish();
    await settle('start', Date.now());
    await sleep(settleMs);

    log('a 4th member joins');
    events.push({ name: 'join', at: Date.now() });
    const m4 = spawnMember('m4');
    await waitFor('the 4th member to handle messages', () =>
      handlings.some((h) => h.member === 'm4'),
    );
    await settle('join', Date.now());

    log('m1 leaves cleanly (SIGTERM)');
    const leaving = members[0] as Member;
    events.push({ name: 'leave', at: Date.now() });
    leaving.child.kill('SIGTERM');
    await waitFor('m1 to exit', () => leaving.exited);
    await settle('leave', Date.now());

    log('m2 is SIGKILLed');
    const killed = members[1] as Member;
    events.push({ name: 'kill', at: Date.now() });
    killed.child.kill('SIGKILL');
    await waitFor('m2 to die', () => killed.exited);
    await settle('kill', Date.now());
    const until = Date.now();

    publishing = false;
    await publishLoop;
    const records = await topic.read();
    const end = Array.from({ length: partitions }, () => 0);
    for (const r of records) {
      end[r.partition] = Math.max(end[r.partition] ?? 0, Number(r.offset) + 1);
    }
    const total = end.reduce((a, b) => a + b, 0);
    const distinct = () => new Set(handlings.map((h) => `${h.partition}/${h.offset}`)).size;
    await waitFor(`all ${total} messages handled`, () => distinct() >= total);
    for (const m of [members[2], m4]) m?.child.kill('SIGTERM');
    await waitFor('the last members to exit', () => members.every((m) => m.exited));
    const analysis = analyseRebalance(handlings, events, end, until);
    // For a closer look: every handling and event, as JSON.
    const dump = process.env['BENCH_REBALANCE_DUMP'];
    if (dump) writeFileSync(dump, JSON.stringify({ handlings, events, end, until }));
    const ratePerPartition = rate / partitions;
    const perMoved =
      MEMBER.maxBufferedPerPartition +
      Math.ceil((ratePerPartition * 2 * MEMBER.commitInterval) / 1000);
    return {
      ...analysis,
      client: o.client,
      groupProtocol,
      ratePerPartition,
      duplicateBound: analysis.events.reduce((n, e) => n + e.moved * perMoved, 0),
    };
  } finally {
    publishing = false;
    await publishLoop.catch(() => undefined);
    for (const m of members) if (!m.exited) m.child.kill('SIGKILL');
    await publisher.close();
    await topic.delete();
  }
}
