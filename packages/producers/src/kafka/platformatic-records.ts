/**
 * Decoding a @platformatic/kafka fetch response into the producer's
 * {@link KafkaFetchedBatch}es: one per partition, straight from the record
 * batches the library parsed, with no per-record message object, closure or
 * deserializer call. A record's offset string is made at once (it is the
 * message id); its timestamp and headers only when read.
 */
import type { KafkaFetchedBatch, KafkaFetchedRecord } from './client.ts';

/** The parts of a fetched record batch the decoder reads (the library's `RecordsBatch`). */
export interface RawRecordsBatch {
  readonly firstOffset: bigint;
  readonly firstTimestamp: bigint;
  readonly lastOffsetDelta: number;
  readonly attributes: number;
  readonly records: readonly RawRecord[];
}

/** One record of a {@link RawRecordsBatch} (the library's `KafkaRecord`). */
export interface RawRecord {
  readonly offsetDelta: number;
  readonly timestampDelta: bigint;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: readonly (readonly [Buffer | null, Buffer | null])[];
}

/** Bit 5 of a batch's attributes: a control batch (transaction markers), never handed out. */
const IS_CONTROL = 0b10_0000;

const NO_HEADERS: Readonly<Record<string, Buffer>> = Object.freeze({});

/** A fetched record; `timestamp` and `headers` are decoded when first read. */
class FetchedRecord implements KafkaFetchedRecord {
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly #raw: RawRecord;
  readonly #firstTimestamp: bigint;

  constructor(offset: number, raw: RawRecord, firstTimestamp: bigint) {
    this.offset = String(offset);
    this.key = raw.key;
    this.value = raw.value;
    this.#raw = raw;
    this.#firstTimestamp = firstTimestamp;
  }

  get timestamp(): string {
    return String(this.#firstTimestamp + this.#raw.timestampDelta);
  }

  get headers(): Readonly<Record<string, Buffer>> {
    const raw = this.#raw.headers;
    if (raw.length === 0) return NO_HEADERS;
    const out: Record<string, Buffer> = {};
    for (const [name, value] of raw) {
      if (name === null || value === null) continue;
      const key = name.toString();
      // The first value of a repeated header is kept, as toHeaders does.
      if (!(key in out)) out[key] = value;
    }
    return out;
  }
}

/** The next offset to fetch after `batches` (past control batches too); undefined for none. */
export function nextOffset(batches: readonly RawRecordsBatch[]): bigint | undefined {
  const last = batches.at(-1);
  return last === undefined ? undefined : last.firstOffset + BigInt(last.lastOffsetDelta) + 1n;
}

/**
 * The records of one partition's batches from offset `from` on, or
 * undefined when the batches held nothing.
 */
export function decodePartition(
  topic: string,
  partition: number,
  highWatermark: bigint,
  batches: readonly RawRecordsBatch[],
  from: bigint,
): KafkaFetchedBatch | undefined {
  if (batches.length === 0) return undefined;
  const records: FetchedRecord[] = [];
  // Offsets below 2^53 are exact as numbers: one BigInt per batch, not per record.
  const min = Number(from);
  for (const b of batches) {
    if ((b.attributes & IS_CONTROL) !== 0) continue;
    const base = Number(b.firstOffset);
    for (const r of b.records) {
      const offset = base + r.offsetDelta;
      if (offset >= min) records.push(new FetchedRecord(offset, r, b.firstTimestamp));
    }
  }
  return { topic, partition, highWatermark: String(highWatermark), records };
}
