import { InvalidOptionsError } from '@sluice/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { KafkaConsumerHandlers, KafkaTopicPartition } from '../../src/kafka/client.ts';
import {
  brokerHasConsumerProtocol,
  memberInstanceId,
  podInstanceId,
} from '../../src/kafka/membership.ts';
import { resolveKafkaOptions } from '../../src/kafka/options.ts';
import { IncrementalAssignment } from '../../src/kafka/platformatic-membership.ts';

const base = { brokers: ['kafka-1:9092'], groupId: 'billing', topics: ['orders'] };

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('kafka group membership options', () => {
  it("defaults groupInstanceId to the pod's HOSTNAME inside Kubernetes, for platformatic only", () => {
    vi.stubEnv('KUBERNETES_SERVICE_HOST', '10.0.0.1');
    vi.stubEnv('HOSTNAME', 'billing-2');
    expect(resolveKafkaOptions({ ...base, client: 'platformatic' }).groupInstanceId).toBe(
      'billing-2',
    );
    expect(resolveKafkaOptions(base).groupInstanceId).toBe('billing-2');
    expect(resolveKafkaOptions({ ...base, client: 'kafkajs' }).groupInstanceId).toBeUndefined();
    expect(
      resolveKafkaOptions({ ...base, client: 'platformatic', groupInstanceId: 'mine' })
        .groupInstanceId,
    ).toBe('mine');
  });

  it('has no default outside a pod, whatever the host name', () => {
    vi.stubEnv('KUBERNETES_SERVICE_HOST', '');
    vi.stubEnv('HOSTNAME', 'laptop');
    expect(podInstanceId()).toBeUndefined();
    expect(
      resolveKafkaOptions({ ...base, client: 'platformatic' }).groupInstanceId,
    ).toBeUndefined();
  });

  it('gives each producer instance its own id', () => {
    expect(memberInstanceId('billing-2', 0)).toBe('billing-2');
    expect(memberInstanceId('billing-2', 3)).toBe('billing-2-3');
    expect(memberInstanceId(undefined, 3)).toBeUndefined();
  });

  it('rejects groupInstanceId and the consumer protocol with kafkajs, saying why', () => {
    const run = () =>
      resolveKafkaOptions({
        ...base,
        client: 'kafkajs',
        groupInstanceId: 'billing-2',
        groupProtocol: 'consumer',
      });
    expect(run).toThrow(InvalidOptionsError);
    expect(run).toThrow(/groupInstanceId: kafkajs has no static membership/);
    expect(run).toThrow(/groupProtocol: kafkajs speaks only the classic protocol/);
  });

  it('takes KIP-848 as there from ConsumerGroupHeartbeat v1 (Kafka 4.0) on', () => {
    expect(brokerHasConsumerProtocol(undefined)).toBe(false);
    expect(brokerHasConsumerProtocol(0)).toBe(false);
    expect(brokerHasConsumerProtocol(1)).toBe(true);
  });
});

describe('IncrementalAssignment (KIP-848 on @platformatic/kafka)', () => {
  it('revokes only what moved, waits for the revoke, then reports the new assignment', async () => {
    const calls: string[] = [];
    let release!: () => void;
    const handlers: KafkaConsumerHandlers = {
      onBatch: () => undefined,
      onRebalanceStart: () => undefined,
      onRevoke: (partitions) => {
        calls.push(`revoke ${partitions.map((p) => p.partition).join(',')}`);
        return new Promise((resolve) => (release = resolve));
      },
      onAssignment: (generation, partitions) =>
        calls.push(`assign#${generation} ${partitions.map((p) => p.partition).join(',')}`),
      onError: () => undefined,
    };
    const fetched: string[] = [];
    const fetch = (ps: readonly KafkaTopicPartition[]) =>
      fetched.push(ps.map((p) => p.partition).join(','));
    const a = new IncrementalAssignment(handlers, fetch);
    a.update([{ topic: 't', partitions: [0, 1, 2, 3] }]);
    a.update([{ topic: 't', partitions: [0, 1, 2, 3] }]); // no change
    await vi.waitFor(() => expect(calls).toEqual(['assign#1 0,1,2,3']));
    a.update([{ topic: 't', partitions: [0, 1] }]);
    await vi.waitFor(() => expect(calls).toEqual(['assign#1 0,1,2,3', 'revoke 2,3']));
    // 0 and 1 go on fetching while 2 and 3 drain
    expect(fetched).toEqual(['0,1,2,3', '0,1']);
    release();
    await vi.waitFor(() => expect(calls.at(-1)).toBe('assign#2 0,1'));
    a.update(null); // no assignment known: nothing changes
    expect(calls).toHaveLength(3);
  });
});
