/**
 * `groupProtocol: 'auto'` on @platformatic/kafka: KIP-848 only where the
 * broker both lists it and accepts it. A fake library stands in for the
 * broker's answers here; the contract suite (`*.integration.test.ts`) joins
 * real groups under whatever `'auto'` picks.
 */
import { describe, expect, it, vi } from 'vitest';
import { chooseProtocol } from '../../src/kafka/platformatic-membership.ts';
import type { Platformatic } from '../../src/kafka/platformatic-support.ts';

/** A response error as the library makes it: `findBy('apiId', id)` finds the broker's code. */
const responseError = (apiId: string) =>
  Object.assign(new Error('Received response with error'), {
    response: { groups: [] },
    findBy: (property: string, value: unknown) =>
      property === 'apiId' && value === apiId ? { apiId } : null,
  });

function fakeLibrary(heartbeatMax: number | undefined, describe: () => Promise<unknown>) {
  const closed = vi.fn();
  const pools: { brokers: unknown }[] = [];
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
    consumerGroupDescribeV0: { api: { async: describe } },
  } as unknown as Platformatic;
  return { lib, closed, pools };
}

const base = { clientId: 'sluice', bootstrapBrokers: ['kafka-1:9092', '[::1]:9093'] };

describe("groupProtocol 'auto' on @platformatic/kafka", () => {
  it("is 'consumer' when the broker lists ConsumerGroupHeartbeat v1 and knows the group protocol", async () => {
    const { lib, closed, pools } = fakeLibrary(1, () =>
      Promise.reject(responseError('GROUP_ID_NOT_FOUND')),
    );
    expect(await chooseProtocol(lib, base, 'billing', 'auto')).toBe('consumer');
    expect(pools[0]?.brokers).toEqual([
      { host: 'kafka-1', port: 9092 },
      { host: '::1', port: 9093 },
    ]);
    expect(closed).toHaveBeenCalledOnce();
  });

  it("is 'classic' when the broker lists KIP-848 but has it off (UNSUPPORTED_VERSION)", async () => {
    // A 4.x broker on a cluster still at group.version 0 (upgraded from 3.x).
    const { lib, closed } = fakeLibrary(1, () =>
      Promise.reject(responseError('UNSUPPORTED_VERSION')),
    );
    expect(await chooseProtocol(lib, base, 'billing', 'auto')).toBe('classic');
    expect(closed).toHaveBeenCalledOnce();
  });

  it("is 'classic' without ConsumerGroupHeartbeat v1, without asking further", async () => {
    const describeGroup = vi.fn(() => Promise.resolve({ groups: [] }));
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

  it('keeps an explicit choice', async () => {
    const { lib } = fakeLibrary(undefined, () => Promise.reject(new Error('not asked')));
    expect(await chooseProtocol(lib, base, 'g', 'consumer')).toBe('consumer');
    expect(await chooseProtocol(lib, base, 'g', 'classic')).toBe('classic');
  });
});
