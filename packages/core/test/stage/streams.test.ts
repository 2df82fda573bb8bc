import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  consumer,
  fromIterable,
  producer,
  taskConsumer,
  toAsyncIterable,
  type Stage,
} from '../../src/stage/index.ts';
import { deferred, memoryLogger, settle, until } from '../helpers.ts';

const stages: Stage<never, unknown>[] = [];
function track<S>(s: S): S {
  stages.push(s as Stage<never, unknown>);
  return s;
}
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(stages.splice(0).map((s) => s.kill('test-end')));
});

const quiet = { logger: memoryLogger() };

describe('fromIterable', () => {
  it('emits every item of a sync iterable and stops normally once they are dispatched', async () => {
    const source = track(fromIterable([1, 2, 3, 4, 5], quiet));
    const out: number[] = [];
    for await (const n of toAsyncIterable(source, { maxDemand: 2, minDemand: 0 })) out.push(n);
    expect(out).toEqual([1, 2, 3, 4, 5]);
    await source.join();
    expect(source.exitReason).toBe('normal');
  });

  it('pulls a sync iterable only as far as consumers ask', async () => {
    let pulled = 0;
    function* naturals() {
      for (let i = 0; ; i++) {
        pulled++;
        yield i;
      }
    }
    const source = track(fromIterable(naturals(), quiet));
    const gate = deferred();
    const c = track(consumer<number>({ handleEvents: () => gate.promise }, quiet));
    c.subscribe(source, { maxDemand: 10, minDemand: 5 });
    await settle();
    expect(pulled).toBe(10);
  });

  it('emits the items of an async iterable, pausing when demand runs out', async () => {
    let pulled = 0;
    async function* slow() {
      for (let i = 0; i < 100; i++) {
        pulled++;
        await Promise.resolve();
        yield i;
      }
    }
    const source = track(fromIterable(slow(), quiet));
    const gate = deferred();
    const seen: number[] = [];
    const c = track(
      consumer<number>(
        {
          handleEvents(events) {
            seen.push(...events);
            return gate.promise;
          },
        },
        quiet,
      ),
    );
    c.subscribe(source, { maxDemand: 8, minDemand: 4 });
    await settle(50);
    expect(pulled).toBe(8); // exactly the demand, then the pump waits
    gate.resolve();
    await c.join().catch(() => undefined);
    await until(() => seen.length === 100);
    expect(seen).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('stops with the error an async iterable throws', async () => {
    async function* failing() {
      yield 1;
      await Promise.resolve();
      throw new Error('source broke');
    }
    const source = track(fromIterable(failing(), quiet));
    const c = track(consumer<number>({ handleEvents: () => undefined }, quiet));
    c.subscribe(source, { cancel: 'temporary' });
    await expect(source.join()).rejects.toThrow('source broke');
  });

  it("stops when its last consumer cancels with onCancel: 'stop'", async () => {
    const source = track(fromIterable([1, 2, 3], { ...quiet, onCancel: 'stop' }));
    const c = track(
      consumer<number>(
        {
          handleEvents(_e, sub, stage) {
            stage.cancel(sub);
          },
        },
        quiet,
      ),
    );
    c.subscribe(source, { maxDemand: 1, minDemand: 0, cancel: 'temporary' });
    await source.join();
    expect(source.exitReason).toBe('normal');
  });

  it('rejects unknown options', () => {
    expect(() => fromIterable([], { onCancel: 'later' } as never)).toThrow(
      "invalid fromIterable options: onCancel: expected one of 'continue', 'stop', got 'later'",
    );
  });
});

describe('toAsyncIterable', () => {
  it('applies back-pressure: the producer is asked only as the loop consumes', async () => {
    const demands: number[] = [];
    let next = 0;
    const p = track(
      producer<number>(
        {
          handleDemand(d) {
            demands.push(d);
            return Array.from({ length: d }, () => next++);
          },
        },
        quiet,
      ),
    );
    const it = toAsyncIterable(p, { maxDemand: 10, minDemand: 5 })[Symbol.asyncIterator]();
    expect((await it.next()).value).toBe(0);
    await settle();
    const askedWhileHoldingOne = demands.reduce((a, b) => a + b, 0);
    expect(askedWhileHoldingOne).toBeLessThanOrEqual(10);
    await it.return?.();
  });

  it('reads several producers at once', async () => {
    const a = track(fromIterable(['a1', 'a2'], quiet));
    const b = track(fromIterable(['b1', 'b2', 'b3'], quiet));
    const out: string[] = [];
    for await (const x of toAsyncIterable([a, b])) out.push(x);
    expect(out.sort()).toEqual(['a1', 'a2', 'b1', 'b2', 'b3']);
  });

  it('stops its consumer when the loop exits early', async () => {
    const demands: number[] = [];
    let next = 0;
    const p = track(
      producer<number>(
        {
          handleDemand(d) {
            demands.push(d);
            return Array.from({ length: d }, () => next++);
          },
        },
        quiet,
      ),
    );
    for await (const n of toAsyncIterable(p, { maxDemand: 4 })) if (n === 2) break;
    const before = demands.length;
    await settle();
    expect(demands.length).toBe(before);
  });

  it('throws the reason when a producer crashes', async () => {
    const p = track(
      producer<number>(
        {
          handleDemand() {
            throw new Error('producer crashed');
          },
        },
        quiet,
      ),
    );
    await expect(async () => {
      for await (const _ of toAsyncIterable(p)) void _;
    }).rejects.toThrow('producer crashed');
  });

  it("just ends when a producer crashes under cancel: 'temporary'", async () => {
    const p = track(
      producer<number>(
        {
          handleDemand() {
            throw new Error('ignored');
          },
        },
        quiet,
      ),
    );
    const out: number[] = [];
    for await (const n of toAsyncIterable(p, { cancel: 'temporary' })) out.push(n);
    expect(out).toEqual([]);
  });
});

describe('taskConsumer', () => {
  it('runs one task per event with at most maxDemand running at once', async () => {
    const source = track(
      fromIterable(
        Array.from({ length: 50 }, (_, i) => i),
        quiet,
      ),
    );
    let running = 0;
    let peak = 0;
    const done: number[] = [];
    const c = track(
      taskConsumer<number>({
        ...quiet,
        subscribeTo: [source],
        maxDemand: 5,
        async task(n) {
          running++;
          peak = Math.max(peak, running);
          await new Promise((r) => setImmediate(r));
          running--;
          done.push(n);
        },
      }),
    );
    await until(() => done.length === 50);
    expect(peak).toBe(5);
    expect(done.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    await c.stop();
  });

  it('logs a failed task and carries on by default', async () => {
    const logger = memoryLogger();
    const source = track(fromIterable([1, 2, 3], quiet));
    const done: number[] = [];
    track(
      taskConsumer<number>({
        logger,
        subscribeTo: [source],
        task(n) {
          if (n === 2) throw new Error('task 2 failed');
          done.push(n);
        },
      }),
    );
    await until(() => done.length === 2);
    await until(() => logger.lines.some((l) => l.level === 'error'));
    const line = logger.lines.find((l) => l.level === 'error')!;
    expect(line.message).toBe('task failed');
    expect(line.object).toMatchObject({ event: '2' });
  });

  it("retries a failed task with restart: 'transient'", async () => {
    const source = track(fromIterable(['job'], quiet));
    let attempts = 0;
    const ok = deferred();
    track(
      taskConsumer<string>({
        ...quiet,
        subscribeTo: [source],
        restart: 'transient',
        task() {
          attempts++;
          if (attempts < 3) throw new Error('flaky');
          ok.resolve();
        },
      }),
    );
    await ok.promise;
    expect(attempts).toBe(3);
  });

  it('stops with the error when restarts exceed maxRestarts within maxSeconds', async () => {
    const source = track(fromIterable(['poison'], quiet));
    const c = track(
      taskConsumer<string>({
        ...quiet,
        subscribeTo: [source],
        restart: 'transient',
        maxRestarts: 2,
        task() {
          throw new Error('always fails');
        },
      }),
    );
    await expect(c.join()).rejects.toMatchObject({ code: 'ERR_TASK_FAILED' });
  });

  it('aborts running tasks when it stops', async () => {
    const source = track(fromIterable([1], quiet));
    let aborted = false;
    const started = deferred();
    const c = track(
      taskConsumer<number>({
        ...quiet,
        subscribeTo: [source],
        task: (_n, signal) =>
          new Promise<void>((resolve) => {
            started.resolve();
            signal.addEventListener('abort', () => {
              aborted = true;
              resolve();
            });
          }),
      }),
    );
    await started.promise;
    await c.stop();
    expect(aborted).toBe(true);
  });

  it('rejects invalid options, naming them', () => {
    expect(() => taskConsumer({ task: () => undefined, maxDemand: 0 })).toThrow(
      'invalid taskConsumer options: maxDemand: expected a positive integer, got 0',
    );
    expect(() => taskConsumer({} as never)).toThrow('task: expected a function, got undefined');
  });
});
