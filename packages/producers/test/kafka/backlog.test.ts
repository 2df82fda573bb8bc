import diagnostics from 'node:diagnostics_channel';
import { silentLogger, type BacklogSample, type PrepareContext } from '@sluice/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { forwardKafkaLag } from '../../src/kafka/backlog.ts';
import { kafkaChannels } from '../../src/kafka/index.ts';

afterEach(() => void vi.useRealTimers());

describe('forwardKafkaLag', () => {
  it("reports this pipeline's lag per partition, listening only while backlog is wanted", () => {
    vi.useFakeTimers();
    let wanted = true;
    const reported: BacklogSample[] = [];
    const context = {
      pipeline: 'events',
      concurrency: 1,
      logger: silentLogger,
      backlog: { wanted: () => wanted, report: (s: BacklogSample) => void reported.push(s) },
    } as unknown as PrepareContext;
    const lag = diagnostics.channel(kafkaChannels.lag);
    const stop = forwardKafkaLag(context, 1000);
    expect(lag.hasSubscribers).toBe(true);
    const base = { groupId: 'g', index: 0, topic: 't', highWatermark: '100' };
    lag.publish({ ...base, pipeline: 'events', partition: 2, lag: 40 });
    lag.publish({ ...base, pipeline: 'other', partition: 2, lag: 1 });
    expect(reported).toHaveLength(1);
    expect(reported[0]).toMatchObject({
      broker: 'kafka',
      destination: 't',
      partition: 2,
      waiting: 40,
    });
    wanted = false;
    vi.advanceTimersByTime(1000);
    expect(lag.hasSubscribers).toBe(false);
    wanted = true;
    vi.advanceTimersByTime(1000);
    expect(lag.hasSubscribers).toBe(true);
    stop();
    expect(lag.hasSubscribers).toBe(false);
  });
});
