/**
 * What every benchmark, Sluice or baseline, moves: the same payload, the
 * same batch size and an ack per batch (or per chunk, for Sluice without a
 * batcher), so ratios compare like with like.
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

/**
 * The baselines' message: what a user writing the loop by hand would carry
 * per message, 7 fields (Broadway's Message has 7 too). Nothing here is
 * allocated per message apart from the object itself and its payload.
 */
export interface PlainMessage {
  readonly id: number;
  data: unknown;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly ack: (batch: PlainMessage[]) => void;
  readonly ackRef: unknown;
  status: 'ok' | 'failed';
  /** `performance.now()` when it was emitted (read once per batch, not per message). */
  readonly emittedAt: number;
}

export const NO_METADATA: Readonly<Record<string, unknown>> = Object.freeze({});

/** The messages per second G's producers are paced at (BENCH_G_RATE). */
export const G_RATE = Number(process.env['BENCH_G_RATE'] ?? 50_000);

/**
 * Paces emission at `rate` messages per second: a 1 ms timer tick emits
 * every message that is due by then (the plain loop and Sluice's producer
 * share it, so both see the same bursts). `emit(from, count)` is called
 * with consecutive ranges of ids; returns a stop function.
 */
export function pace(
  n: number,
  rate: number,
  emit: (from: number, count: number) => void,
): () => void {
  const start = performance.now();
  let sent = 0;
  let timer: NodeJS.Timeout | undefined;
  const tick = (): void => {
    const due = Math.min(n, Math.floor(((performance.now() - start) * rate) / 1000));
    if (due > sent) {
      const from = sent;
      sent = due;
      emit(from, due - from);
    }
    timer = sent < n ? setTimeout(tick, 1) : undefined;
  };
  timer = setTimeout(tick, 1);
  return () => clearTimeout(timer);
}
