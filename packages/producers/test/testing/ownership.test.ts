import { describe, expect, it } from 'vitest';
import { decideBrokerOwnership, listProcesses } from '../../src/testing/ownership.ts';

const root = '/work/mine';
const mine = { pid: 11, args: `java -Dsluice.broker=kafka@${root}/.brokers -Xmx768m kafka.Kafka` };
const theirs = {
  pid: 42,
  args: 'java -Dsluice.broker=kafka@/work/other/.brokers -Xmx768m kafka.Kafka',
};
const elasticmq = {
  pid: 12,
  args: `java -Dsluice.broker=elasticmq@${root}/.brokers org.elasticmq.server.Main`,
};

describe('decideBrokerOwnership', () => {
  it('runs when the broker was started by this checkout’s brokers.sh', () => {
    expect(decideBrokerOwnership('kafka', [theirs, mine], { root, env: {} })).toEqual({
      action: 'run',
    });
  });

  it('skips at once, naming the other checkout, when another checkout started the broker', () => {
    expect(decideBrokerOwnership('kafka', [theirs, elasticmq], { root, env: {} })).toEqual({
      action: 'skip',
      message:
        "[sluice] skipping tests that stop Kafka: the running Kafka was started by another checkout's scripts/brokers.sh (pid 42, started by /work/other), and other runs may be using it — stop it where it was started, then run `npm run brokers:up` in /work/mine",
    });
  });

  it('skips when no brokers.sh broker of that name runs (Docker, the system)', () => {
    const decision = decideBrokerOwnership('kafka', [{ pid: 1, args: 'dockerd' }, elasticmq], {
      root,
      env: {},
    });
    expect(decision).toMatchObject({ action: 'skip' });
    expect((decision as { message: string }).message).toContain(
      "no Kafka started by this checkout's scripts/brokers.sh is running",
    );
  });

  it('fails with the same reason under SLUICE_REQUIRE_BROKERS=1', () => {
    const decision = decideBrokerOwnership('kafka', [theirs], {
      root,
      env: { SLUICE_REQUIRE_BROKERS: '1' },
    });
    expect(decision).toMatchObject({ action: 'fail' });
    expect((decision as { message: string }).message).toContain(
      'tests that stop Kafka need a Kafka of their own (SLUICE_REQUIRE_BROKERS=1), but the running Kafka was started by another checkout',
    );
  });

  it('tells ElasticMQ from Kafka by the marker', () => {
    expect(decideBrokerOwnership('elasticmq', [mine, elasticmq], { root, env: {} })).toEqual({
      action: 'run',
    });
    expect(decideBrokerOwnership('elasticmq', [mine], { root, env: {} })).toMatchObject({
      action: 'skip',
    });
  });

  it('lists the running processes with their command lines', async () => {
    const processes = await listProcesses();
    expect(processes.some((p) => p.pid === process.pid)).toBe(true);
  });
});
