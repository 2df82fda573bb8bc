/**
 * What every benchmark, Sluice or baseline, moves: the same message shape,
 * the same batch size and an ack per batch (or per chunk, for Sluice
 * without a batcher), so ratios compare like with like.
 */
export interface Order {
  readonly id: number;
  readonly name: string;
  readonly tags: readonly string[];
  readonly ok: boolean;
}

const TAGS = ['a', 'b'] as const;

/** Message `n`'s payload: a small 4-key object, as in perf-anchors' scenario D. */
export function order(n: number): Order {
  return { id: n, name: 'order', tags: TAGS, ok: true };
}

export const BATCH_SIZE = 100;
