import { describe, expect, it } from 'vitest';
import {
  decodePartition,
  nextOffset,
  type RawRecordsBatch,
} from '../../src/kafka/platformatic-records.ts';

const record = (offsetDelta: number, value: string, headers: [string, string][] = []) => ({
  offsetDelta,
  timestampDelta: BigInt(offsetDelta * 10),
  key: Buffer.from(`k${offsetDelta}`),
  value: Buffer.from(value),
  headers: headers.map(([k, v]) => [Buffer.from(k), Buffer.from(v)] as const),
});

const batch = (firstOffset: bigint, n: number, attributes = 0): RawRecordsBatch => ({
  firstOffset,
  firstTimestamp: 1_700_000_000_000n,
  lastOffsetDelta: n - 1,
  attributes,
  records: Array.from({ length: n }, (_, i) => record(i, `v${Number(firstOffset) + i}`)),
});

describe('decodePartition (the @platformatic/kafka adapter)', () => {
  it('gives every record from the requested offset on, with offsets, timestamps and the next offset', () => {
    const batches = [batch(10n, 3), batch(13n, 2)];
    const decoded = decodePartition('t', 2, 20n, batches, 11n);
    expect(nextOffset(batches)).toBe(15n);
    expect(decoded).toMatchObject({ topic: 't', partition: 2, highWatermark: '20' });
    const records = decoded?.records ?? [];
    expect(records.map((r) => r.offset)).toEqual(['11', '12', '13', '14']);
    expect(records.map((r) => String(r.value))).toEqual(['v11', 'v12', 'v13', 'v14']);
    expect(records[0]?.timestamp).toBe('1700000000010');
    expect(records[0]?.headers).toEqual({});
  });

  it('skips control batches (transaction markers) yet moves past them', () => {
    const batches = [batch(0n, 2), batch(2n, 1, 0b10_0000)];
    const decoded = decodePartition('t', 0, 10n, batches, 0n);
    expect(decoded?.records.map((r) => r.offset)).toEqual(['0', '1']);
    expect(nextOffset(batches)).toBe(3n);
  });

  it('decodes headers, keeping the first value of a repeated name', () => {
    const b: RawRecordsBatch = {
      ...batch(0n, 1),
      records: [
        record(0, 'v', [
          ['a', '1'],
          ['b', '2'],
          ['a', '3'],
        ]),
      ],
    };
    const [r] = decodePartition('t', 0, 1n, [b], 0n)?.records ?? [];
    expect(r?.headers).toEqual({ a: Buffer.from('1'), b: Buffer.from('2') });
  });

  it('says nothing for a partition without batches', () => {
    expect(decodePartition('t', 0, 0n, [], 0n)).toBeUndefined();
    expect(nextOffset([])).toBeUndefined();
  });
});
