/**
 * The resize scenario every broker's resize.integration.test.ts runs: a
 * pipeline with a processor group (2) and a batcher (1) consumes `n`
 * messages; mid-run the processors grow to 6 and the batcher to 3, later
 * both shrink to 1. Handlers wait at a gate at two points, so each resize
 * happens while the pipeline holds work and messages are still left at the
 * broker; no timings decide it. The caller builds the pipeline from
 * {@link ResizeScenario.definition} and checks the broker afterwards.
 */
import type { Message, Pipeline, PipelineDefinition } from '@sluice/core';
import { expect } from 'vitest';

/** The processor group's key and the batcher's key in the scenario's pipeline. */
const PROCESSOR = 'default';
const BATCHER = 'out';

/** Resolves once `check()` is true; throws naming `what` after `timeoutMs`. */
export async function until(check: () => boolean, what: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`gave up after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** What the scenario's handlers saw, and how to drive it. */
export interface ResizeScenario {
  /** processors, batchers, handleMessage and handleBatch for the caller's pipeline. */
  readonly definition: Pick<
    PipelineDefinition,
    'processors' | 'batchers' | 'handleMessage' | 'handleBatch'
  >;
  /** How many times each id went through handleMessage, and through handleBatch. */
  readonly handled: Map<string, number>;
  readonly batched: Map<string, number>;
  /**
   * Starts `pipeline`, resizes it as described above, waits until all `n`
   * are acked, stops it and asserts each was handled and batched once.
   * `partitioned: true` (a producer that partitions its processors, as
   * Kafka's does): a resize of the processors waits until they have
   * finished what they hold, so the scenario opens the gate before waiting
   * for it, and does not expect every new processor to get work unless
   * `spreads` says the producer hands work to every processor once the
   * resize is applied (Kafka's key mode).
   */
  run(pipeline: Pipeline, n: number, partitioned?: boolean, spreads?: boolean): Promise<void>;
}

/** A {@link ResizeScenario}; `idOf` names a message uniquely (its body, its broker id). */
export function resizeScenario(idOf: (m: Message) => string): ResizeScenario {
  const handled = new Map<string, number>();
  const batched = new Map<string, number>();
  let started = 0;
  // Handlers past message `holdAfter` wait at the gate of `phase`;
  // `arrived[k]` counts those that reached gate k (they leave only when it opens).
  let holdAfter = Infinity;
  let phase = 0;
  const arrived = [0, 0, 0];
  let gate: Promise<void> | undefined;
  let open = (): void => undefined;
  /** Opens the current gate; with `after`, closes the next one past message `after` at once. */
  const release = (after?: number) => {
    const opened = open;
    gate = undefined;
    if (after !== undefined) {
      phase++;
      holdAfter = after;
      gate = new Promise((r) => (open = r));
    }
    opened();
  };
  const count = (map: Map<string, number>, id: string) => map.set(id, (map.get(id) ?? 0) + 1);

  const definition: ResizeScenario['definition'] = {
    processors: { [PROCESSOR]: { concurrency: 2, maxDemand: 10 } },
    batchers: { [BATCHER]: { concurrency: 1, batchSize: 10, batchTimeout: 20 } },
    handleMessage: async (_k, m) => {
      if (gate !== undefined && ++started > holdAfter) {
        arrived[phase]!++;
        await gate;
      } else await new Promise((r) => setImmediate(r)); // an async write
      count(handled, idOf(m));
      return m.putBatcher(BATCHER);
    },
    handleBatch: async (_k, messages) => {
      await new Promise((r) => setImmediate(r));
      for (const m of messages) count(batched, idOf(m));
      return messages;
    },
  };

  const concurrency = (p: Pipeline) => {
    const t = p.topology();
    return { processors: t.processors[0]?.concurrency, batcher: t.batchers[0]?.concurrency };
  };

  async function run(pipeline: Pipeline, n: number, partitioned = false, spreads = !partitioned) {
    const applied: Promise<void>[] = [];
    const resizeProcessors = (from: number, to: number) => {
      const result = pipeline.resize(PROCESSOR, to);
      expect(result).toMatchObject({ kind: 'processor', from, to });
      applied.push(result.applied);
    };
    // Phase 1: the first 20% pass; then every processor waits at the gate, holding work.
    release(Math.floor(n * 0.2));
    const atGate = (k: number) => arrived[k]!;
    await pipeline.start();
    try {
      // A producer that partitions may give every partition to one processor.
      await until(() => atGate(1) >= (partitioned ? 1 : 2), 'the processors at gate 1');
      resizeProcessors(2, 6);
      expect(pipeline.resize(BATCHER, 3)).toMatchObject({ kind: 'batcher', from: 1, to: 3 });
      expect(concurrency(pipeline)).toEqual({ processors: 6, batcher: 3 });
      // The new processors take work too: each ends up waiting at the gate.
      // (A partitioned group starts them once the others have finished.)
      if (!partitioned) await until(() => atGate(1) === 6, 'six processors at gate 1');
      // Phase 2: up to 60% pass at the grown size, then the processors wait again.
      release(Math.floor(n * 0.6));
      if (partitioned) await applied[0];
      await until(() => atGate(2) >= (spreads ? 6 : 1), 'the processors at gate 2');
      expect(pipeline.stats().successful).toBeLessThan(n);
      resizeProcessors(6, 1);
      expect(pipeline.resize(BATCHER, 1)).toMatchObject({ kind: 'batcher', from: 3, to: 1 });
      expect(concurrency(pipeline)).toEqual({ processors: 1, batcher: 1 });
      release();
      await Promise.all(applied);
      await until(() => pipeline.stats().successful >= n, `all ${n} acked`);
      expect(concurrency(pipeline)).toEqual({ processors: 1, batcher: 1 });
    } finally {
      release();
      expect(await pipeline.stop()).toEqual({ unacked: 0, timedOut: false });
    }
    const stats = pipeline.stats();
    expect(stats.successful).toBe(n);
    expect(stats.failed).toBe(0);
    expect(handled.size).toBe(n);
    expect([...handled].filter(([, c]) => c !== 1)).toEqual([]);
    expect(batched.size).toBe(n);
    expect([...batched].filter(([, c]) => c !== 1)).toEqual([]);
  }

  return { definition, handled, batched, run };
}
