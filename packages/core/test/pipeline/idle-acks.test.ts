import { afterEach, describe, expect, it } from 'vitest';
import { deferred, until } from '../helpers.ts';
import { listProducer, pipeline, range, recordingAcknowledger, stopAll } from './support.ts';

afterEach(stopAll);

describe('processor acks without batchers', () => {
  it('acks the messages done so far while the rest of the chunk waits on I/O', async () => {
    const acks = recordingAcknowledger();
    const source = listProducer(range(3), acks.acknowledger);
    const gate = deferred();
    const p = pipeline({
      producer: { module: source.module },
      // One processor, one chunk of all three messages.
      processors: { default: { concurrency: 1, maxDemand: 10, minDemand: 0 } },
      async handleMessage(_p, m) {
        if (m.data === 1) await gate.promise;
        return m;
      },
    });
    await p.start();
    await until(() => acks.successful().length > 0);
    // Message 0 is acked although its chunk is not done: 1 waits on the gate.
    expect(acks.calls).toEqual([{ ref: 'ref', successful: [0], failed: [] }]);
    gate.resolve();
    await until(() => acks.successful().length === 3);
    expect(acks.calls).toEqual([
      { ref: 'ref', successful: [0], failed: [] },
      { ref: 'ref', successful: [1, 2], failed: [] },
    ]);
    expect(p.stats()).toMatchObject({ received: 3, successful: 3, failed: 0, inFlight: 0 });
  });

  it('acks what every processor finished in the same turn with one call', async () => {
    const acks = recordingAcknowledger();
    const source = listProducer(range(4), acks.acknowledger);
    const gate = deferred();
    const p = pipeline({
      producer: { module: source.module },
      // Two processors, a chunk of two each: 0 and 2 finish, 1 and 3 wait.
      processors: { default: { concurrency: 2, maxDemand: 2, minDemand: 0 } },
      async handleMessage(_p, m) {
        if ((m.data as number) % 2 === 1) await gate.promise;
        return m;
      },
    });
    await p.start();
    await until(() => acks.successful().length > 0);
    expect(acks.calls).toHaveLength(1);
    expect([...(acks.calls[0]?.successful ?? [])].sort()).toEqual([0, 2]);
    gate.resolve();
    await until(() => acks.successful().length === 4);
    expect([...acks.successful()].sort()).toEqual([0, 1, 2, 3]);
  });

  it('coalesces a chunk whose handlers complete back to back into one ack', async () => {
    const acks = recordingAcknowledger();
    const source = listProducer(range(10), acks.acknowledger);
    const p = pipeline({
      producer: { module: source.module },
      processors: { default: { concurrency: 1, maxDemand: 10, minDemand: 0 } },
      handleMessage: async (_p, m) => m,
    });
    await p.start();
    await until(() => acks.successful().length === 10);
    expect(acks.calls).toEqual([{ ref: 'ref', successful: range(10), failed: [] }]);
  });

  it('acks a failed message with the end of its chunk, after handleFailed', async () => {
    const acks = recordingAcknowledger();
    const source = listProducer(range(3), acks.acknowledger);
    const gate = deferred();
    const seen: unknown[] = [];
    const p = pipeline({
      producer: { module: source.module },
      processors: { default: { concurrency: 1, maxDemand: 10, minDemand: 0 } },
      async handleMessage(_p, m) {
        if (m.data === 1) return m.fail('no');
        if (m.data === 2) await gate.promise;
        return m;
      },
      handleFailed(messages) {
        seen.push(...messages.map((m) => m.data));
        return messages;
      },
    });
    await p.start();
    await until(() => acks.successful().length > 0);
    expect(acks.calls).toEqual([{ ref: 'ref', successful: [0], failed: [] }]);
    expect(seen).toEqual([]);
    gate.resolve();
    await until(() => acks.successful().length + acks.failed().length === 3);
    expect(seen).toEqual([1]);
    expect(acks.calls.at(-1)).toEqual({ ref: 'ref', successful: [2], failed: [1] });
  });
});
