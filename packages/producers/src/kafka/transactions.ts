/**
 * Exactly-once Kafka → Kafka for one consumer-group member: what a sink
 * writes for this member's messages goes into one open Kafka transaction,
 * and the member's offsets are committed in that same transaction
 * (TxnOffsetCommit) instead of by the group's own commits. A transaction
 * lives for one commit interval (as in Kafka Streams): the sink's sends
 * join it while it is open, and at the interval the member commits it with
 * the offsets it covers.
 *
 * What the committed offsets may pass: a record is covered when it is
 * acked (handled, dead-lettered, skipped, filtered) or its output sits in
 * the open transaction. A transaction commits the contiguous covered
 * prefix of every partition, and only when every output in it lies below
 * that prefix: output past a gap (a record still in flight, retrying, or
 * halted) keeps the transaction open until the gap is covered, so a crash
 * can never leave committed output above the committed offset (it would
 * be written again after the restart).
 *
 * A message that fails after its output was sent (its handler threw after
 * the write, or a second sink failed) makes its output stale: the
 * transaction is aborted and what is still good is sent again in the
 * next one. So are the records of an aborted transaction (a failed send);
 * those of a partition this member lost are dropped, its new owner writes
 * them. Every send and commit runs one at a time, in order.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '@sluice/core';
import type { KafkaClient, KafkaOutgoingMessage } from './client.ts';
import type { Entry, PartitionState } from './partition-state.ts';

/** How {@link KafkaClient.transactionalPublisher} opens its producer. */
export interface KafkaTransactionalPublisherOptions {
  /** Stable per member: a producer started with it fences an older one with it. */
  readonly transactionalId: string;
  /** How long the broker lets a transaction stay open before aborting it, in ms. */
  readonly transactionTimeout: number;
  readonly retries?: number;
}

/** A transactional producer: one transaction open at a time. */
export interface KafkaTransactionalPublisher {
  /** Starts a transaction (the first call also fences older producers with the id). */
  begin(): Promise<KafkaTransaction>;
  close(): Promise<void>;
}

/** One open Kafka transaction. */
export interface KafkaTransaction {
  /** Sends records in the transaction; resolves once the brokers have them (acks=all). */
  send(topic: string, messages: readonly KafkaOutgoingMessage[]): Promise<void>;
  /** Adds the group's offsets (next to read) to the transaction. */
  sendOffsets(groupId: string, offsets: readonly CommitOffset[]): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/** An offset to commit: the next to read. */
export interface CommitOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

/** One record sent for a message, with the entry it came from. */
interface Item {
  readonly entry: Entry;
  /** The entry's attempts when sent: a later failure makes the output stale. */
  readonly attempts: number;
  readonly topic: string;
  readonly record: KafkaOutgoingMessage;
}

/** What {@link MemberTransactions} needs from its consumer. */
export interface TransactionsContext {
  readonly groupId: string;
  /** The member's `groupInstanceId`, if static: the transactional id derives from it. */
  readonly instanceId: string | undefined;
  readonly index: number;
  readonly commitInterval: number;
  readonly logger: Logger;
  /** One call to Kafka, bounded by `requestTimeout`. */
  readonly timed: <T>(operation: string, run: () => Promise<T>) => Promise<T>;
}

/** A commit's offsets, per partition state, for the committer to mark. */
export type CommittedOffsets = readonly [PartitionState, number][];

/** What {@link MemberTransactions.commit} returns when nothing was committed. */
const NOT_YET: CommittedOffsets = [];

/** The transactions of one member; see the file comment. */
export class MemberTransactions {
  readonly #c: TransactionsContext;
  readonly transactionalId: string;
  #client: KafkaClient | undefined;
  #publisher: Promise<KafkaTransactionalPublisher> | undefined;
  #txn: KafkaTransaction | undefined;
  #items: Item[] = [];
  #resend: Item[] = [];
  /** Why the open transaction must be aborted, once something failed in it. */
  #doomed: unknown;
  /** Whether a failed commit may have committed after all. */
  #uncertain: CommitOffset[] | undefined;
  #chain: Promise<unknown> = Promise.resolve();

  constructor(context: TransactionsContext) {
    this.#c = context;
    const instance = context.instanceId ?? `${context.index}-${randomUUID()}`;
    this.transactionalId = `sluice-${context.groupId}-${instance}`;
  }

  /** True once a sink has written through it: the group's own commits stop. */
  get attached(): boolean {
    return this.#client !== undefined;
  }

  /** Outputs sent (or to send again) not committed yet. */
  get pending(): boolean {
    return this.#items.length > 0 || this.#resend.length > 0;
  }

  /**
   * Sends `records` (one per entry) into the open transaction, through a
   * transactional producer of `client` (the first caller's). Rejects when
   * the send failed: the transaction is then aborted before the next one.
   */
  send(
    client: KafkaClient,
    topic: string,
    records: readonly { readonly entry: Entry; readonly record: KafkaOutgoingMessage }[],
  ): Promise<void> {
    if (client.transactionalPublisher === undefined) {
      return Promise.reject(new Error('this Kafka client cannot open transactions'));
    }
    this.#client ??= client;
    const items = records.map((r) => ({ ...r, topic, attempts: r.entry.attempts }));
    return this.#serial(async () => {
      const txn = await this.#open();
      this.#items.push(...items);
      try {
        await this.#c.timed(`transactional send to ${topic}`, () =>
          txn.send(
            topic,
            items.map((i) => i.record),
          ),
        );
      } catch (error) {
        const failed = new Set(items);
        this.#items = this.#items.filter((i) => !failed.has(i));
        this.#doomed ??= error;
        throw error;
      }
    });
  }

  /**
   * Commits the open transaction with the offsets it covers in `owned`
   * (see the file comment). Resolves with what was committed, empty when
   * nothing was or the transaction cannot commit yet; rejects when the
   * commit failed (the transaction is then aborted, its good records sent
   * again in the next).
   */
  commit(owned: readonly PartitionState[]): Promise<CommittedOffsets> {
    return this.#serial(async () => {
      this.#dropStale();
      if (this.#doomed !== undefined) await this.#recover();
      if (this.#resend.length > 0) await this.#open();
      const frontier = this.#frontier(owned);
      if (frontier === NOT_YET) return NOT_YET;
      const offsets = frontier.map(([s, offset]) => ({
        topic: s.topic,
        partition: s.partition,
        offset: String(offset),
      }));
      if (offsets.length === 0) return NOT_YET;
      const txn = await this.#open();
      const groupId = this.#c.groupId;
      try {
        await this.#c.timed(`transactional offsets for group ${groupId}`, () =>
          txn.sendOffsets(groupId, offsets),
        );
      } catch (error) {
        this.#doomed ??= error;
        throw error;
      }
      try {
        await this.#c.timed(`transaction commit for group ${groupId}`, () => txn.commit());
      } catch (error) {
        this.#doomed ??= error;
        this.#uncertain = offsets;
        throw error;
      }
      this.#txn = undefined;
      this.#items = [];
      return frontier;
    });
  }

  /** Aborts what is open and closes the producer. */
  close(): Promise<void> {
    return this.#serial(async () => {
      const txn = this.#txn;
      this.#txn = undefined;
      this.#items = [];
      this.#resend = [];
      if (txn !== undefined) {
        await this.#c.timed('transaction abort', () => txn.abort()).catch(() => undefined);
      }
      await this.#closePublisher();
    });
  }

  #serial<T>(run: () => Promise<T>): Promise<T> {
    const next = this.#chain.then(run, run);
    this.#chain = next.catch(() => undefined);
    return next;
  }

  /** The open transaction, begun (and fed what must be sent again) when there is none. */
  async #open(): Promise<KafkaTransaction> {
    if (this.#doomed !== undefined) await this.#recover();
    if (this.#txn === undefined) {
      const publisher = await this.#getPublisher();
      this.#txn = await this.#c.timed('begin a transaction', () => publisher.begin());
    }
    const txn = this.#txn;
    if (this.#resend.length > 0) {
      const again = this.#resend;
      this.#resend = [];
      this.#items.push(...again);
      try {
        for (const [topic, items] of byTopic(again)) {
          await this.#c.timed(`transactional send to ${topic}`, () =>
            txn.send(
              topic,
              items.map((i) => i.record),
            ),
          );
        }
      } catch (error) {
        this.#doomed ??= error;
        throw error;
      }
    }
    return txn;
  }

  /**
   * Aborts the doomed transaction; its records still good (their message
   * not failed since, their partition still owned) are sent again in the
   * next. When the failed call was the commit itself, it may have
   * committed: a fresh producer (which completes whatever the old one left)
   * and the group's committed offsets tell which.
   */
  async #recover(): Promise<void> {
    const reason = this.#doomed;
    const txn = this.#txn;
    const items = this.#items;
    const uncertain = this.#uncertain;
    this.#txn = undefined;
    this.#items = [];
    this.#doomed = undefined;
    this.#uncertain = undefined;
    let committed = false;
    if (uncertain !== undefined) {
      // A new producer with the same id completes what the old one left.
      await this.#closePublisher();
      const publisher = await this.#getPublisher();
      this.#txn = await this.#c.timed('begin a transaction', () => publisher.begin());
      committed = await this.#wasCommitted(uncertain);
    } else if (txn !== undefined) {
      try {
        await this.#c.timed('transaction abort', () => txn.abort());
      } catch {
        // A producer that cannot abort (fenced, or stuck): a new one with
        // the same id aborts what the old one left open.
        await this.#closePublisher();
      }
    }
    this.#c.logger.warn(
      { err: reason, transactionalId: this.transactionalId, committed },
      committed
        ? 'kafka: the transaction commit failed but it committed'
        : 'kafka: transaction aborted; its records are sent again in the next',
    );
    if (!committed) this.#resend = items.filter((i) => !stale(i) && !i.entry.state.tracker.closed);
  }

  /** Whether the group's committed offset reached the first of `offsets`. */
  async #wasCommitted(offsets: readonly CommitOffset[]): Promise<boolean> {
    const first = offsets[0] as CommitOffset;
    const admin = await (this.#client as KafkaClient).admin();
    try {
      const partitions = await this.#c.timed('fetch committed offsets', () =>
        admin.fetchGroupOffsets(this.#c.groupId, first.topic),
      );
      const at = partitions.find((p) => p.partition === first.partition)?.committed;
      return at !== null && at !== undefined && BigInt(at) >= BigInt(first.offset);
    } finally {
      await admin.close().catch(() => undefined);
    }
  }

  /** Any output whose message failed since it was sent dooms the transaction. */
  #dropStale(): void {
    if (this.#doomed === undefined && this.#items.some(stale)) {
      this.#doomed = new Error('a message failed after its output was sent');
    }
    this.#resend = this.#resend.filter((i) => !stale(i));
  }

  /**
   * Per owned partition, the covered prefix when it moved past the last
   * commit; {@link NOT_YET} when some output lies past its partition's
   * prefix, or belongs to a partition no longer owned (then the
   * transaction is doomed: that output is its new owner's to write).
   */
  #frontier(owned: readonly PartitionState[]): CommittedOffsets {
    const sent = new Map<PartitionState, Set<number>>();
    for (const i of this.#items) {
      const s = i.entry.state;
      if (s.tracker.closed) {
        this.#doomed ??= new Error(`partition ${s.id} was revoked with output in the transaction`);
        return NOT_YET;
      }
      let set = sent.get(s);
      if (set === undefined) sent.set(s, (set = new Set()));
      set.add(i.entry.offset);
    }
    const out: [PartitionState, number][] = [];
    for (const s of owned) {
      const set = sent.get(s);
      const frontier = s.tracker.committableWith(set ?? EMPTY);
      if (frontier === undefined) continue;
      if (set !== undefined) {
        for (const offset of set) if (offset >= frontier) return NOT_YET;
      }
      const committed = s.tracker.committed;
      if (committed === undefined || frontier > committed) out.push([s, frontier]);
    }
    for (const s of sent.keys()) if (!owned.includes(s)) return NOT_YET;
    return out;
  }

  #getPublisher(): Promise<KafkaTransactionalPublisher> {
    const client = this.#client as KafkaClient;
    this.#publisher ??= this.#c
      .timed('connect (transactional producer)', () =>
        (client.transactionalPublisher as NonNullable<KafkaClient['transactionalPublisher']>)({
          transactionalId: this.transactionalId,
          transactionTimeout: Math.max(10_000, 3 * this.#c.commitInterval),
        }),
      )
      .catch((error: unknown) => {
        this.#publisher = undefined;
        throw error;
      });
    return this.#publisher;
  }

  async #closePublisher(): Promise<void> {
    const p = this.#publisher;
    this.#publisher = undefined;
    await p?.then((publisher) => publisher.close()).catch(() => undefined);
  }
}

const EMPTY: ReadonlySet<number> = new Set();

const stale = (i: Item): boolean => i.entry.attempts !== i.attempts;

function byTopic(items: readonly Item[]): Map<string, Item[]> {
  const out = new Map<string, Item[]>();
  for (const i of items) {
    const list = out.get(i.topic);
    if (list === undefined) out.set(i.topic, [i]);
    else list.push(i);
  }
  return out;
}

/** A message's member transactions and entry, for an exactly-once sink. */
export interface KafkaTransactionalSource {
  readonly transactions: MemberTransactions;
  readonly entry: Entry;
}

/**
 * Where `message` came from, when a Kafka source's member handed it out:
 * its member's transactions and its record's entry; undefined for any
 * other message (another source, or one built by hand).
 */
export function kafkaTransactionalSource(message: {
  readonly ackRef?: unknown;
  readonly ackData?: unknown;
}): KafkaTransactionalSource | undefined {
  const transactions = (message.ackRef as { transactions?: unknown } | null | undefined)
    ?.transactions;
  if (!(transactions instanceof MemberTransactions)) return undefined;
  return { transactions, entry: message.ackData as Entry };
}
