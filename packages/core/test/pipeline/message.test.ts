import { describe, expect, it } from 'vitest';
import { Message, noopAcknowledger } from '../../src/index.ts';

describe('Message', () => {
  it('keeps the metadata its producer gave', () => {
    const metadata = { topic: 'orders', partition: 3 };
    const m = new Message({ data: 1, metadata, acknowledger: noopAcknowledger });
    expect(m.metadata).toBe(metadata);
  });

  it('reads as {} without metadata, and keeps what a handler adds to it or puts in its place', () => {
    const m = new Message<number, Record<string, unknown>>({
      data: 1,
      acknowledger: noopAcknowledger,
    });
    expect(m.metadata).toEqual({});
    m.metadata['seen'] = true;
    expect(m.metadata).toEqual({ seen: true });
    const other = { replaced: 1 };
    m.metadata = other;
    expect(m.metadata).toBe(other);
    // Each message gets its own object.
    expect(new Message({ data: 2, acknowledger: noopAcknowledger }).metadata).toEqual({});
  });
});
