/**
 * `groupProtocol` on @platformatic/kafka: KIP-848 only where the broker both
 * lists it and accepts it; `'auto'` falls back to classic, an explicit
 * `'consumer'` fails with an error naming the broker's refusal. A fake
 * library stands in for the broker's answers here;
 * platformatic-protocol.integration.test.ts asks a real broker.
 */
import { InvalidOptionsError } from '@sluice/core';
import { describe, expect, it, vi } from 'vitest';
import { chooseProtocol, readDescribeErrorCode } from '../../src/kafka/platformatic-membership.ts';
import type { Platformatic } from '../../src/kafka/platformatic-support.ts';

/** Protocol error codes the probe tells apart. */
const GROUP_ID_NOT_FOUND = 69;
const UNSUPPORTED_VERSION = 35;

/**
 * A library whose broker lists ConsumerGroupHeartbeat up to `heartbeatMax`
 * (undefined: not at all) and answers a ConsumerGroupDescribe with `describe()`.
 */
function fakeLibrary(heartbeatMax: number | undefined, describe: () => Promise<number>) {
  const closed = vi.fn();
  const pools: { brokers: unknown }[] = [];
  const described: unknown[][] = [];
  const lib = {
    Consumer: class {
      listApis = () =>
        Promise.resolve(
          heartbeatMax === undefined
            ? []
            : [{ name: 'ConsumerGroupHeartbeat', minVersion: 0, maxVersion: heartbeatMax }],
        );
      close = (_force: boolean, done: () => void) => done();
    },
    ConnectionPool: class {
      getFirstAvailable = (brokers: unknown) => {
        pools.push({ brokers });
        return Promise.resolve({});
      };
      close = () => {
        closed();
        return Promise.resolve();
      };
    },
    consumerGroupDescribeV0: { createRequest: () => undefined },
    createAPI: (key: number, version: number) => ({
      async: (_connection: unknown, ...args: unknown[]) => {
        described.push([key, version, ...args]);
        return describe();
      },
    }),
  } as unknown as Platformatic;
  return { lib, closed, pools, described };
}

const base = { clientId: 'sluice', bootstrapBrokers: ['kafka-1:9092', '[::1]:9093'] };

describe("groupProtocol 'auto' on @platformatic/kafka", () => {
  it("is 'consumer' when the broker lists ConsumerGroupHeartbeat v1 and knows the group protocol", async () => {
    const { lib, closed, pools, described } = fakeLibrary(1, () =>
      Promise.resolve(GROUP_ID_NOT_FOUND),
    );
    expect(await chooseProtocol(lib, base, 'billing', 'auto')).toBe('consumer');
    expect(pools[0]?.brokers).toEqual([
      { host: 'kafka-1', port: 9092 },
      { host: '::1', port: 9093 },
    ]);
    // ConsumerGroupDescribe (key 69) v0 of the group itself, without authorized operations.
    expect(described).toEqual([[69, 0, ['billing'], false]]);
    expect(closed).toHaveBeenCalledOnce();
  });

  it("is 'consumer' when the group exists (the broker described it)", async () => {
    const { lib } = fakeLibrary(1, () => Promise.resolve(0));
    expect(await chooseProtocol(lib, base, 'billing', 'auto')).toBe('consumer');
  });

  it("is 'classic' when the broker lists KIP-848 but has it off (UNSUPPORTED_VERSION)", async () => {
    // A 4.x broker on a cluster still at group.version 0 (upgraded from 3.x).
    const { lib, closed } = fakeLibrary(1, () => Promise.resolve(UNSUPPORTED_VERSION));
    expect(await chooseProtocol(lib, base, 'billing', 'auto')).toBe('classic');
    expect(closed).toHaveBeenCalledOnce();
  });

  it("is 'classic' without ConsumerGroupHeartbeat v1, without asking further", async () => {
    const describeGroup = vi.fn(() => Promise.resolve(0));
    expect(await chooseProtocol(fakeLibrary(0, describeGroup).lib, base, 'g', 'auto')).toBe(
      'classic',
    );
    expect(await chooseProtocol(fakeLibrary(undefined, describeGroup).lib, base, 'g', 'auto')).toBe(
      'classic',
    );
    expect(describeGroup).not.toHaveBeenCalled();
  });

  it('reports a connection failure instead of guessing', async () => {
    const { lib, closed } = fakeLibrary(1, () => Promise.reject(new Error('ECONNREFUSED')));
    await expect(chooseProtocol(lib, base, 'billing', 'auto')).rejects.toThrow('ECONNREFUSED');
    expect(closed).toHaveBeenCalledOnce();
  });
});

describe("groupProtocol 'consumer' and 'classic' on @platformatic/kafka", () => {
  it("keeps 'classic' without asking the broker", async () => {
    const { lib, described } = fakeLibrary(undefined, () => Promise.reject(new Error('no')));
    expect(await chooseProtocol(lib, base, 'g', 'classic')).toBe('classic');
    expect(described).toEqual([]);
  });

  it("keeps 'consumer' where the broker runs KIP-848", async () => {
    const { lib } = fakeLibrary(1, () => Promise.resolve(GROUP_ID_NOT_FOUND));
    expect(await chooseProtocol(lib, base, 'g', 'consumer')).toBe('consumer');
  });

  it('fails with ERR_INVALID_OPTIONS naming groupProtocol and the refusal when the broker answers UNSUPPORTED_VERSION', async () => {
    const { lib, closed } = fakeLibrary(1, () => Promise.resolve(UNSUPPORTED_VERSION));
    const error = await chooseProtocol(lib, base, 'billing', 'consumer').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InvalidOptionsError);
    const e = error as InvalidOptionsError;
    expect(e.code).toBe('ERR_INVALID_OPTIONS');
    expect(e.issues.map((i) => [i.path, i.value])).toEqual([['groupProtocol', 'consumer']]);
    expect(e.issues[0]?.message).toContain('UNSUPPORTED_VERSION');
    expect(e.message).toMatch(
      /^invalid kafka producer options: groupProtocol: .*UNSUPPORTED_VERSION.*group\.version 0.*got 'consumer'$/,
    );
    expect(closed).toHaveBeenCalledOnce();
  });

  it('fails naming the heartbeat version when the broker predates KIP-848', async () => {
    await expect(
      chooseProtocol(fakeLibrary(0, () => Promise.resolve(0)).lib, base, 'g', 'consumer'),
    ).rejects.toThrow(
      /groupProtocol: .*ConsumerGroupHeartbeat up to v0.*Kafka 4\.0.*got 'consumer'/,
    );
    await expect(
      chooseProtocol(fakeLibrary(undefined, () => Promise.resolve(0)).lib, base, 'g', 'consumer'),
    ).rejects.toThrow(/ConsumerGroupHeartbeat none/);
  });
});

describe('reading a ConsumerGroupDescribe answer', () => {
  /** A reader over these fields, in order. */
  const reader = (fields: number[]) => {
    const next = () => {
      const v = fields.shift();
      if (v === undefined) throw new Error('read past the end');
      return v;
    };
    return { readInt32: next, readUnsignedVarInt: next, readInt16: next, rest: fields };
  };

  it("reads the first group's error code and nothing after it", () => {
    // throttle 0, one group (compact length 2), code 0, then a body it must not read.
    const r = reader([0, 2, 0, 123, 456]);
    expect(readDescribeErrorCode(1, 69, 0, r)).toBe(0);
    expect(r.rest).toEqual([123, 456]);
    expect(readDescribeErrorCode(1, 69, 0, reader([0, 2, UNSUPPORTED_VERSION]))).toBe(
      UNSUPPORTED_VERSION,
    );
  });

  it('is 0 for an answer without groups', () => {
    expect(readDescribeErrorCode(1, 69, 0, reader([0, 1]))).toBe(0);
  });
});
