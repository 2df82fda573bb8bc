import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BrokerError } from '../../src/errors.ts';
import { callBatch, type RetryPolicy } from '../../src/sqs/batch-call.ts';
import type { SqsBatchResult } from '../../src/sqs/client.ts';

const refused = () => new BrokerError('ERR_BROKER_UNREACHABLE', 'sqs', 'connect ECONNREFUSED');
const allOk = (entries: readonly { id: string }[]): SqsBatchResult => ({
  successful: entries.map((e) => ({ id: e.id })),
  failed: [],
});

describe('callBatch', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  const policy: RetryPolicy = {
    attempts: 3,
    backoff: { initial: 100, max: 1000 },
    random: () => 0.999_999,
  };

  it('gives up on a transient failure after `attempts` tries without retryForMs', async () => {
    const call = vi.fn(() => Promise.reject(refused()));
    const outcome = callBatch(['a', 'b'], call, policy);
    await vi.runAllTimersAsync();
    expect(await outcome).toMatchObject({
      ok: [],
      failed: [{ entry: 'a', code: 'ERR_BROKER_UNREACHABLE' }, { entry: 'b' }],
      attempts: 3,
    });
  });

  it('rides out an outage shorter than retryForMs: every entry succeeds', async () => {
    let down = true;
    setTimeout(() => (down = false), 4000);
    const call = vi.fn((entries: readonly { id: string }[]) =>
      down ? Promise.reject(refused()) : Promise.resolve(allOk(entries)),
    );
    const outcome = callBatch(['a', 'b'], call, { ...policy, retryForMs: 10_000 });
    await vi.runAllTimersAsync();
    const { ok, failed, attempts } = await outcome;
    expect(ok).toEqual(['a', 'b']);
    expect(failed).toEqual([]);
    expect(attempts).toBeGreaterThan(policy.attempts);
  });

  it('stops retrying once retryForMs has passed', async () => {
    const call = vi.fn(() => Promise.reject(refused()));
    const outcome = callBatch(['a'], call, { ...policy, retryForMs: 5000 });
    await vi.runAllTimersAsync();
    const { failed, attempts } = await outcome;
    expect(failed).toMatchObject([{ entry: 'a', code: 'ERR_BROKER_UNREACHABLE' }]);
    // 100, 200, 400, 800, then 1000 ms apart: the try at or after 5000 ms is the last.
    expect(attempts).toBe(9);
  });

  it('does not retry a failure that is not transient, whatever retryForMs', async () => {
    const call = vi.fn(() =>
      Promise.resolve<SqsBatchResult>({
        successful: [],
        failed: [{ id: '0', code: 'ReceiptHandleIsInvalid', message: 'bad', senderFault: true }],
      }),
    );
    const outcome = callBatch(['a'], call, { ...policy, retryForMs: 60_000 });
    await vi.runAllTimersAsync();
    expect(await outcome).toMatchObject({
      failed: [{ entry: 'a', code: 'ReceiptHandleIsInvalid' }],
      attempts: 1,
    });
  });
});
