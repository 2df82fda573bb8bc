import { describe, expect, it } from 'vitest';
import {
  Message,
  generatorProducer,
  type Acknowledger,
  type MessageStatus,
  type ProducerModule,
} from '../../src/index.ts';
import { Flow } from '../../src/flow/index.ts';
import { deferred, memoryLogger, settle } from '../helpers.ts';

/**
 * A producer module handing out messages 0, 1, 2, … (data = id = n) as
 * asked, recording the demand it sees, every ack and its lifecycle.
 */
function handFed(
  options: {
    prepare?: () => void;
    onDemand?: (demand: number) => void;
    onAck?: (ok: readonly number[]) => void;
  } = {},
) {
  const asked: number[] = [];
  const acked: number[] = [];
  const failed: { n: number; status: MessageStatus }[] = [];
  const lifecycle: string[] = [];
  let next = 0;
  const acknowledger: Acknowledger = {
    ack(_ref, ok, bad) {
      options.onAck?.(ok.map((m) => m.data as number));
      for (const m of ok) acked.push(m.data as number);
      for (const m of bad) failed.push({ n: m.data as number, status: m.status });
    },
  };
  const module: ProducerModule = {
    prepareForStart() {
      lifecycle.push('prepareForStart');
      options.prepare?.();
      return () => void lifecycle.push('cleanup');
    },
    init(context) {
      lifecycle.push(`init ${context.index}`);
      return {
        handleDemand(demand) {
          options.onDemand?.(demand);
          asked.push(demand);
          return Array.from(
            { length: demand },
            () => new Message({ data: next, id: next++, acknowledger }),
          );
        },
        prepareForDraining: () => void lifecycle.push(`drain ${context.index}`),
        terminate: () => void lifecycle.push(`terminate ${context.index}`),
      };
    },
  };
  return {
    module,
    asked,
    acked,
    failed,
    lifecycle,
    emitted: () => next,
    totalAsked: () => asked.reduce((a, b) => a + b, 0),
  };
}

const logger = memoryLogger();
const sorted = (ns: readonly number[]) => [...ns].sort((a, b) => a - b);
const upTo = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('Flow.fromProducer', () => {
  it('acks a message only once the source layer has handled it, after an async each', async () => {
    const stop = new AbortController();
    const written = new Set<number>();
    const early: number[] = [];
    const fed = handFed({
      // Checks every ack as it happens: its message's event must be written already.
      onAck(ns) {
        for (const n of ns) if (n % 3 !== 0 && !written.has(n * 10)) early.push(n);
        if (fed.acked.length + ns.length >= 40) stop.abort();
      },
    });
    await Flow.fromProducer<number>(fed.module, {
      signal: stop.signal,
      maxDemand: 6,
      logger,
    })
      .reject((n) => n % 3 === 0) // dropped messages are acked too
      .map((n) => n * 10)
      .each(async (x) => {
        await Promise.resolve();
        written.add(x);
      })
      .run();
    expect(early).toEqual([]);
    // The drain let everything emitted through, and nothing was acked twice.
    expect(sorted(fed.acked)).toEqual(upTo(fed.emitted()));
    expect(fed.failed).toEqual([]);
    expect(fed.lifecycle).toEqual([
      'prepareForStart',
      'init 0',
      'drain 0',
      'terminate 0',
      'cleanup',
    ]);
  });

  it('fails exactly the chunk an operation threw on, with the cause, and stops the flow with it', async () => {
    const fed = handFed();
    const boom = new Error('cannot write 7');
    const chunks: number[][] = [];
    const run = Flow.fromProducer<number>(fed.module, { maxDemand: 4, minDemand: 2, logger })
      .mapBatch((chunk) => {
        chunks.push(chunk);
        return chunk;
      })
      .each((n) => {
        if (n === 7) throw boom;
      })
      .run();
    await expect(run).rejects.toBe(boom);
    const thrown = chunks.at(-1) as number[];
    expect(thrown).toContain(7);
    expect(fed.failed.map((f) => f.n)).toEqual(thrown);
    for (const f of fed.failed) {
      expect(f.status).toEqual({ kind: 'error', error: boom, callback: 'flow' });
    }
    // Every earlier chunk was acked; nothing the flow had not handled was.
    expect(sorted(fed.acked)).toEqual(chunks.slice(0, -1).flat());
    expect(fed.emitted()).toBeGreaterThan(fed.acked.length + fed.failed.length);
    expect(fed.lifecycle).toEqual(['prepareForStart', 'init 0', 'terminate 0', 'cleanup']);
  });

  it('stops with the cause through later layers, from the source layer or after it', async () => {
    const boom = new Error('boom');
    const fed = handFed();
    const failInSource = Flow.fromProducer<number>(fed.module, { logger })
      .each((n) => {
        if (n === 7) throw boom;
      })
      .partition({ stages: 2 })
      .reduce(
        () => 0,
        (_n, count) => count + 1,
      )
      .run();
    await expect(failInSource).rejects.toBe(boom);
    expect(fed.failed.map((f) => f.n)).toContain(7);

    const later = handFed();
    const failAfter = Flow.fromProducer<number>(later.module, { logger })
      .partition({ stages: 2 })
      .reduce(
        () => 0,
        (n, count) => {
          if (n === 7) throw boom;
          return count + 1;
        },
      )
      .run();
    await expect(failAfter).rejects.toBe(boom);
    // Acked before the partition, as documented; the source was stopped and closed.
    expect(later.acked).toContain(7);
    expect(later.lifecycle).toEqual(['prepareForStart', 'init 0', 'terminate 0', 'cleanup']);
  });

  it('acks a message the flow marked failed as failed, and goes on', async () => {
    const fed = handFed();
    const stop = new AbortController();
    await Flow.fromProducer(fed.module, {
      signal: stop.signal,
      select: (m) => m,
      maxDemand: 4,
      logger,
    })
      .each((m) => {
        if ((m.data as number) % 3 === 0) m.fail('multiple of 3');
        if ((m.data as number) === 20) stop.abort();
      })
      .run();
    const all = upTo(fed.emitted());
    expect(sorted(fed.failed.map((f) => f.n))).toEqual(all.filter((n) => n % 3 === 0));
    expect(fed.failed[0]?.status).toEqual({ kind: 'failed', reason: 'multiple of 3' });
    expect(sorted(fed.acked)).toEqual(all.filter((n) => n % 3 !== 0));
  });

  it('leaving the loop early leaves what the source layer was handling un-acked', async () => {
    const fed = handFed();
    const reached = deferred();
    const gate = deferred();
    const flow = Flow.fromProducer<number>(fed.module, { maxDemand: 4, minDemand: 2, logger }).each(
      async (n) => {
        if (n !== 5) return;
        reached.resolve();
        await gate.promise;
      },
    );
    for await (const n of flow.toAsyncIterable()) {
      if (n === 3) {
        await reached.promise; // the source layer is inside the chunk [4, 5]
        break;
      }
    }
    // The loop ended after the producer was closed; the handler finishing late changes nothing.
    expect(fed.lifecycle).toEqual(['prepareForStart', 'init 0', 'terminate 0', 'cleanup']);
    gate.resolve();
    await settle();
    expect(sorted(fed.acked)).toEqual([0, 1, 2, 3]);
    expect(fed.failed).toEqual([]);
    expect(fed.emitted()).toBeGreaterThan(4);
  });

  it('never asks the producer for more than the source layer has room for', async () => {
    const stop = new AbortController();
    const stages = 2;
    const maxDemand = 5;
    const room: number[] = [];
    const fed = handFed({
      // Asked and not yet acked: each source stage holds or awaits at most maxDemand.
      onDemand: (demand) => room.push(fed.totalAsked() + demand - fed.acked.length),
    });
    await Flow.fromProducer<number>(fed.module, { signal: stop.signal, stages, maxDemand, logger })
      .each(async (n) => {
        if (n % 7 === 0) await Promise.resolve();
        if (n === 200) stop.abort();
      })
      .run();
    expect(Math.max(...room)).toBeLessThanOrEqual(stages * maxDemand);
    expect(sorted(fed.acked)).toEqual(upTo(fed.emitted()));
  });

  it('stops asking while the source layer is busy', async () => {
    const fed = handFed();
    const stop = new AbortController();
    const reached = deferred();
    const gate = deferred();
    const run = Flow.fromProducer<number>(fed.module, { signal: stop.signal, maxDemand: 8, logger })
      .each(async (n) => {
        if (n !== 10) return;
        reached.resolve();
        await gate.promise;
      })
      .run();
    await reached.promise;
    await settle();
    const asked = fed.totalAsked();
    await settle();
    expect(fed.totalAsked()).toBe(asked);
    expect(asked - fed.acked.length).toBeLessThanOrEqual(8);
    stop.abort();
    gate.resolve();
    await run;
    expect(sorted(fed.acked)).toEqual(upTo(fed.emitted()));
  });

  it('asks the producer for nothing when the signal is aborted before the run starts', async () => {
    const fed = handFed();
    const out = await Flow.fromProducer<number>(fed.module, {
      signal: AbortSignal.abort(),
      logger,
    }).toArray();
    expect(out).toEqual([]);
    expect(fed.asked).toEqual([]);
    expect(fed.lifecycle).toContain('cleanup');
  });

  it('runs a partitioned reduce over the generator producer until stopped', async () => {
    const stop = new AbortController();
    let acked = 0;
    const module = generatorProducer({
      count: 1000,
      onAck: (ok) => {
        acked += ok;
        if (acked === 1000) stop.abort();
      },
    });
    const counts = await Flow.fromProducer<{ n: number }>(module, {
      signal: stop.signal,
      concurrency: 2,
      logger,
    })
      .map(({ n }) => n)
      .partition({ stages: 2, key: (n) => n % 2 })
      .reduce(
        () => 0,
        (_n, count) => count + 1,
      )
      .emit('state')
      .toArray();
    expect(sorted(counts)).toEqual([500, 500]);
  });

  it('fails the run when the module cannot start', async () => {
    const fed = handFed({
      prepare: () => {
        throw new Error('no such queue');
      },
    });
    await expect(Flow.fromProducer(fed.module, { logger }).run()).rejects.toThrow('no such queue');
    expect(fed.lifecycle).toEqual(['prepareForStart']);
  });

  it('rejects bad options, naming them', () => {
    const fed = handFed();
    expect(() => Flow.fromProducer(fed.module, { stages: 0 })).toThrow(
      'stages: expected a positive integer, got 0',
    );
    expect(() => Flow.fromProducer(fed.module, { maxDemand: 10, minDemand: 10 })).toThrow(
      'minDemand: expected less than maxDemand (10), got 10',
    );
    expect(() =>
      Flow.fromProducer(fed.module, { signal: 'stop' as unknown as AbortSignal }),
    ).toThrow("signal: expected an AbortSignal, got 'stop'");
    expect(() => Flow.fromProducer(fed.module, { queue: 'q' } as never)).toThrow(
      'queue: unknown option',
    );
    expect(() => Flow.fromProducer({} as ProducerModule)).toThrow(
      'module: expected a producer module',
    );
  });
});
