import { afterEach, describe, expect, it } from 'vitest';
import type { Acknowledger, Message } from '../../src/index.ts';
import { until } from '../helpers.ts';
import { listProducer, pipeline, range, stopAll } from './support.ts';

afterEach(stopAll);

/**
 * Runs one chunk of 5 and reports whether a microtask queued by the last
 * handler call had run by the time the chunk was acked: a chunk handled
 * without any promise is acked in the same synchronous run as its last
 * handler, before any microtask.
 */
async function microtaskBeforeAck(sync: boolean): Promise<boolean> {
  let microtaskRan = false;
  let seenAtAck: boolean | undefined;
  const acknowledger: Acknowledger = {
    ack() {
      seenAtAck = microtaskRan;
    },
  };
  const source = listProducer(range(5), acknowledger);
  const last = (m: Message): Message => {
    if (m.data === 4) queueMicrotask(() => (microtaskRan = true));
    return m;
  };
  const p = pipeline({
    producer: { module: source.module },
    processors: { default: { concurrency: 1, maxDemand: 10, minDemand: 0 } },
    handleMessage: sync ? (_p, m) => last(m) : async (_p, m) => last(m),
  });
  await p.start();
  await until(() => seenAtAck !== undefined);
  return seenAtAck as boolean;
}

describe('the processor with a synchronous handleMessage', () => {
  it('handles and acks a chunk without a promise: no microtask runs in between', async () => {
    expect(await microtaskBeforeAck(true)).toBe(false);
  });

  it('(an async handler, for contrast, acks after its awaits)', async () => {
    expect(await microtaskBeforeAck(false)).toBe(true);
  });
});
