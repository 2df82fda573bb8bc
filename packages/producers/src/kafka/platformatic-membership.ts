/**
 * Group membership under the KIP-848 consumer protocol on @platformatic/kafka:
 * choosing the protocol, joining, and turning the library's assignment
 * (which changes after a heartbeat, with no event of its own) into
 * `onRevoke` for the partitions that move away and `onAssignment`, so the
 * partitions that stay never stop.
 */
import type { Consumer } from '@platformatic/kafka';
import { InvalidOptionsError } from '@sluice/core';
import type { KafkaConsumerHandlers, KafkaTopicPartition } from './client.ts';
import { brokerHasConsumerProtocol, type KafkaGroupProtocol } from './membership.ts';
import type { Platformatic } from './platformatic-support.ts';

/**
 * The protocol to speak: `'classic'` as asked; `'consumer'` when the broker
 * runs KIP-848, else (asked once, with short-lived clients) `'classic'` for
 * `'auto'` and an `ERR_INVALID_OPTIONS` error naming the broker's refusal for
 * an explicit `'consumer'`, which would otherwise be refused on every try to join.
 */
export async function chooseProtocol(
  lib: Platformatic,
  base: Record<string, unknown>,
  groupId: string,
  wanted: KafkaGroupProtocol | undefined,
): Promise<'classic' | 'consumer'> {
  if (wanted === 'classic') return 'classic';
  const refusal = await consumerProtocolRefusal(lib, base, groupId);
  if (refusal === undefined) return 'consumer';
  if (wanted !== 'consumer') return 'classic';
  const message = `the brokers refuse the consumer group protocol (KIP-848): ${refusal}; use 'auto' or 'classic'`;
  throw new InvalidOptionsError(
    'kafka producer options',
    [{ path: 'groupProtocol', message, value: wanted }],
    [`groupProtocol: ${message}, got 'consumer'`],
  );
}

/** Why the brokers cannot run KIP-848 for `groupId`, or undefined when they can. */
async function consumerProtocolRefusal(
  lib: Platformatic,
  base: Record<string, unknown>,
  groupId: string,
): Promise<string | undefined> {
  const probe = new lib.Consumer({
    ...(base as { clientId: string; bootstrapBrokers: string[] }),
    groupId,
  });
  try {
    const apis = await probe.listApis();
    const heartbeat = apis.find((a) => a.name === 'ConsumerGroupHeartbeat');
    if (!brokerHasConsumerProtocol(heartbeat?.maxVersion)) {
      const offered = heartbeat === undefined ? 'none' : `up to v${heartbeat.maxVersion}`;
      return `they offer ConsumerGroupHeartbeat ${offered}, and KIP-848 needs v1 (Kafka 4.0 or later)`;
    }
  } finally {
    await new Promise<void>((resolve) => probe.close(true, () => resolve()));
  }
  if (await consumerProtocolEnabled(lib, base, groupId)) return undefined;
  return (
    'they answer its requests with UNSUPPORTED_VERSION (the cluster runs group.version 0, e.g. formatted ' +
    "by Kafka 3.x and its features not upgraded, or group.coordinator.rebalance.protocols leaves out 'consumer')"
  );
}

/**
 * Whether a broker that lists ConsumerGroupHeartbeat accepts it. A 4.x broker
 * lists it even when KIP-848 is off: its cluster still runs at an older
 * `group.version` (a cluster upgraded from 3.x whose features were not
 * upgraded) or `group.coordinator.rebalance.protocols` leaves `consumer` out;
 * it then answers every group request of the new protocol with
 * UNSUPPORTED_VERSION. A ConsumerGroupDescribe of the group, which changes
 * nothing, gets the same answer, so it tells the two apart; any other
 * answer (the group, GROUP_ID_NOT_FOUND, NOT_COORDINATOR) means it is on.
 *
 * Only the answer's error code is read ({@link readDescribeErrorCode}): the
 * library's own reader of this answer fails on a group that has members
 * (1.35 reads their topic names as one string), which made every member
 * after the first fail to start, and so get no partitions, under `'auto'`.
 */
async function consumerProtocolEnabled(
  lib: Platformatic,
  base: Record<string, unknown>,
  groupId: string,
): Promise<boolean> {
  const { clientId, bootstrapBrokers } = base as { clientId: string; bootstrapBrokers: string[] };
  const pool = new lib.ConnectionPool(clientId, base);
  try {
    const connection = await pool.getFirstAvailable(bootstrapBrokers.map(parseBroker));
    const describe = lib.createAPI<[string[], boolean], number>(
      CONSUMER_GROUP_DESCRIBE,
      0,
      lib.consumerGroupDescribeV0.createRequest,
      readDescribeErrorCode,
    );
    const code = await describe.async(connection, [groupId], false);
    return code !== UNSUPPORTED_VERSION;
  } finally {
    await pool.close().catch(() => undefined);
  }
}

/** ConsumerGroupDescribe's API key, and the protocol's UNSUPPORTED_VERSION code. */
const CONSUMER_GROUP_DESCRIBE = 69;
const UNSUPPORTED_VERSION = 35;

/**
 * Reads a ConsumerGroupDescribe v0 answer for one group only as far as the
 * group's error code (0 when the broker described it): throttle time, the
 * compact array's length, then the first group's code. The rest is left unread.
 */
export function readDescribeErrorCode(
  _correlationId: number,
  _apiKey: number,
  _apiVersion: number,
  reader: { readInt32(): number; readUnsignedVarInt(): number; readInt16(): number },
): number {
  reader.readInt32(); // throttle_time_ms
  const groups = reader.readUnsignedVarInt() - 1; // compact array: length + 1
  return groups > 0 ? reader.readInt16() : 0;
}

/** `host:port` (or `[v6]:port`) as the library's broker object. */
function parseBroker(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  const host = address.slice(0, at).replace(/^\[(.*)\]$/, '$1');
  return { host, port: Number(address.slice(at + 1)) };
}

/**
 * Joins under the consumer protocol. The library joins only when a stream
 * starts consuming; the adapter fetches by itself, so it opens a stream that
 * stops after one tiny fetch. The topics were tracked before (the library
 * counts), so the stream's end does not unsubscribe them.
 */
export async function joinConsumerProtocol(
  consumer: Consumer,
  topics: readonly string[],
): Promise<void> {
  const stream = await consumer.consume({
    topics: [...topics],
    autocommit: false,
    maxFetches: 1,
    maxBytes: 1,
    maxWaitTime: 1,
  });
  await new Promise<void>((resolve) => {
    stream.once('close', () => resolve());
    stream.close(() => resolve());
  });
}

/**
 * Follows the member's assignment: each change revokes what moved away
 * (awaiting `onRevoke`, which drains and commits just those) and then
 * reports the new assignment. Changes are applied one at a time, in order.
 */
export class IncrementalAssignment {
  readonly #handlers: KafkaConsumerHandlers;
  readonly #assign: (partitions: readonly KafkaTopicPartition[]) => void;
  #owned = new Set<string>();
  #generation = 0;
  #queue: Promise<void> = Promise.resolve();
  #last = '';

  constructor(
    handlers: KafkaConsumerHandlers,
    assign: (partitions: readonly KafkaTopicPartition[]) => void,
  ) {
    this.#handlers = handlers;
    this.#assign = assign;
  }

  /** The library's assignment now (after a heartbeat). */
  update(assignments: readonly { topic: string; partitions: readonly number[] }[] | null): void {
    if (assignments === null) return;
    const next: KafkaTopicPartition[] = [];
    for (const a of assignments) {
      if (a.topic === undefined) continue; // metadata not caught up yet
      for (const partition of a.partitions) next.push({ topic: a.topic, partition });
    }
    const key = next
      .map((p) => `${p.topic}:${p.partition}`)
      .sort()
      .join(',');
    if (key === this.#last) return;
    this.#last = key;
    this.#queue = this.#queue.then(() => this.#apply(next));
  }

  async #apply(next: readonly KafkaTopicPartition[]): Promise<void> {
    const ids = new Set(next.map((p) => `${p.topic}:${p.partition}`));
    const revoked: KafkaTopicPartition[] = [];
    const kept: KafkaTopicPartition[] = [];
    for (const id of this.#owned) {
      const at = id.lastIndexOf(':');
      const p = { topic: id.slice(0, at), partition: Number(id.slice(at + 1)) };
      (ids.has(id) ? kept : revoked).push(p);
    }
    if (revoked.length > 0) {
      this.#assign(kept); // stop fetching them now
      try {
        await this.#handlers.onRevoke(revoked);
      } catch {
        // the producer reports its own failures; the revocation goes on
      }
    }
    this.#owned = ids;
    this.#handlers.onAssignment(++this.#generation, next);
    this.#assign(next);
  }
}
