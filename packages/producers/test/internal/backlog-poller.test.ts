import { silentLogger, type BacklogSample } from '@sluice/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startBacklogPoller } from '../../src/internal/backlog-poller.ts';

afterEach(() => void vi.useRealTimers());

const sample: BacklogSample = { broker: 'sqs', destination: 'q', waiting: 1, inFlight: 0, at: 0 };

describe('startBacklogPoller', () => {
  it('polls only while someone listens, one poll at a time', async () => {
    vi.useFakeTimers();
    let wanted = false;
    const reported: BacklogSample[] = [];
    const poll = vi.fn(async () => [sample]);
    const stop = startBacklogPoller({
      reporter: { wanted: () => wanted, report: (s) => void reported.push(s) },
      poll,
      logger: silentLogger,
      what: 'q',
      intervalMs: 1000,
    });
    await vi.advanceTimersByTimeAsync(5000);
    expect(poll).not.toHaveBeenCalled();
    wanted = true;
    await vi.advanceTimersByTimeAsync(1000);
    expect(poll).toHaveBeenCalledTimes(1);
    expect(reported).toEqual([sample]);
    stop();
    await vi.advanceTimersByTimeAsync(5000);
    expect(poll).toHaveBeenCalledTimes(1);
  });

  it('logs a failing poll once until one succeeds again', async () => {
    vi.useFakeTimers();
    const warn = vi.fn();
    const logger = { ...silentLogger, warn, child: () => logger };
    let fail = true;
    const stop = startBacklogPoller({
      reporter: { wanted: () => true, report: () => undefined },
      poll: async () => {
        if (fail) throw new Error('AccessDenied');
        return [];
      },
      logger,
      what: 'SQS queue q',
      intervalMs: 1000,
    });
    await vi.advanceTimersByTimeAsync(3000);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]?.[1]).toBe('could not read the backlog of SQS queue q; retrying');
    fail = false;
    await vi.advanceTimersByTimeAsync(1000);
    fail = true;
    await vi.advanceTimersByTimeAsync(1000);
    expect(warn).toHaveBeenCalledTimes(2);
    stop();
  });
});
