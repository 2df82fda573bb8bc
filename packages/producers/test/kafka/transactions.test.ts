/**
 * MemberTransactions' rules, against an in-memory transactional client
 * (the real-broker test is packages/sinks/test/kafka-exactly-once.test.ts):
 * what a transaction may commit, and what is sent again after an abort.
 */
import { silentLogger } from '@sluice/core';
import { describe, expect, it } from 'vitest';
import type { KafkaClient } from '../../src/kafka/client.ts';
import { newPartitionState, type Entry } from '../../src/kafka/partition-state.ts';
import {
  MemberTransactions,
  type CommitOffset,
  type KafkaTransaction,
} from '../../src/kafka/transactions.ts';

/** What the fake broker saw, per transaction. */
interface Txn {
  sent: string[];
  offsets: CommitOffset[];
  state: 'open' | 'committed' | 'aborted';
}

function fakeClient(failSend?: (value: string) => boolean) {
  const txns: Txn[] = [];
  const client = {
    transactionalPublisher: () =>
      Promise.resolve({
        begin: () => {
          const t: Txn = { sent: [], offsets: [], state: 'open' };
          txns.push(t);
          const txn: KafkaTransaction = {
            send: (_topic, messages) => {
              for (const m of messages) {
                if (failSend?.(String(m.value))) return Promise.reject(new Error('send failed'));
                t.sent.push(String(m.value));
              }
              return Promise.resolve();
            },
            sendOffsets: (_group, offsets) => {
              t.offsets.push(...offsets);
              return Promise.resolve();
            },
            commit: () => {
              t.state = 'committed';
              return Promise.resolve();
            },
            abort: () => {
              t.state = 'aborted';
              return Promise.resolve();
            },
          };
          return Promise.resolve(txn);
        },
        close: () => Promise.resolve(),
      }),
  } as unknown as KafkaClient;
  const committed = () => txns.filter((t) => t.state === 'committed');
  return { client, txns, committed };
}

function setup(count: number) {
  const state = newPartitionState('in', 0, 1, Infinity);
  const entries: Entry[] = [];
  for (let offset = 0; offset < count; offset++) {
    state.tracker.register(offset);
    entries.push({ state, record: {} as never, offset, unit: '', attempts: 0, processor: 0 });
  }
  const transactions = new MemberTransactions({
    groupId: 'g',
    instanceId: 'i',
    index: 0,
    commitInterval: 100,
    logger: silentLogger,
    timed: (_operation, run) => run(),
  });
  const send = (client: KafkaClient, ...at: number[]) =>
    transactions.send(
      client,
      'out',
      at.map((o) => ({ entry: entries[o] as Entry, record: { value: `out-${o}` } })),
    );
  return { state, entries, transactions, send };
}

describe('MemberTransactions', () => {
  it('names its transactional id after the group and the static member', () => {
    expect(setup(0).transactions.transactionalId).toBe('sluice-g-i');
  });

  it('commits outputs and acked records as one contiguous prefix per partition', async () => {
    const { client, committed } = fakeClient();
    const { state, transactions, send } = setup(4);
    await send(client, 0, 1);
    state.tracker.ack(2); // handled without output
    const result = await transactions.commit([state]);
    expect(result.map(([, o]) => o)).toEqual([3]);
    expect(committed()).toEqual([
      {
        sent: ['out-0', 'out-1'],
        offsets: [{ topic: 'in', partition: 0, offset: '3' }],
        state: 'committed',
      },
    ]);
    expect(transactions.pending).toBe(false);
  });

  it('keeps a transaction open while an output lies past a record not done yet', async () => {
    const { client, committed } = fakeClient();
    const { state, transactions, send } = setup(3);
    await send(client, 1, 2); // offset 0 still in flight
    expect(await transactions.commit([state])).toEqual([]);
    expect(committed()).toEqual([]);
    await send(client, 0);
    expect((await transactions.commit([state])).map(([, o]) => o)).toEqual([3]);
    expect(committed()[0]?.sent).toEqual(['out-1', 'out-2', 'out-0']);
  });

  it('aborts when a message fails after its output was sent, and sends the others again', async () => {
    const { client, txns, committed } = fakeClient();
    const { state, entries, transactions, send } = setup(2);
    await send(client, 0, 1);
    state.tracker.ack(0);
    (entries[1] as Entry).attempts++; // failed after the write: it will be handled again
    // The first transaction is aborted; offset 0's output goes again, alone.
    expect((await transactions.commit([state])).map(([, o]) => o)).toEqual([1]);
    expect(txns[0]?.state).toBe('aborted');
    expect(committed().map((t) => [t.sent, t.offsets.map((o) => o.offset)])).toEqual([
      [['out-0'], ['1']],
    ]);
    // Offset 1 is handled and written again, once.
    await send(client, 1);
    state.tracker.ack(1);
    expect((await transactions.commit([state])).map(([, o]) => o)).toEqual([2]);
    expect(committed().flatMap((t) => t.sent)).toEqual(['out-0', 'out-1']);
  });

  it('a failed send rejects, aborts the transaction and sends what was good again', async () => {
    let fail = true;
    const { client, txns, committed } = fakeClient((v) => fail && v === 'out-1');
    const { state, entries, transactions, send } = setup(2);
    await send(client, 0);
    state.tracker.ack(0);
    await expect(send(client, 1)).rejects.toThrow('send failed');
    (entries[1] as Entry).attempts++; // the sink failed it
    fail = false;
    await send(client, 1);
    state.tracker.ack(1);
    expect((await transactions.commit([state])).map(([, o]) => o)).toEqual([2]);
    expect(txns[0]?.state).toBe('aborted');
    expect(committed()[0]?.sent).toEqual(['out-0', 'out-1']);
  });

  it('drops the outputs of a partition no longer owned: its new owner writes them', async () => {
    const { client, txns, committed } = fakeClient();
    const { state, transactions, send } = setup(1);
    await send(client, 0);
    state.tracker.close();
    expect(await transactions.commit([])).toEqual([]);
    expect(await transactions.commit([])).toEqual([]);
    expect(txns[0]?.state).toBe('aborted');
    expect(committed()).toEqual([]);
    expect(transactions.pending).toBe(false);
  });
});
