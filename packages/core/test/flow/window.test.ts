import { afterEach, describe, expect, it, vi } from 'vitest';
import { Flow, Window, type TriggerInfo } from '../../src/flow/index.ts';
import { producer } from '../../src/stage/index.ts';
import { settle } from '../helpers.ts';

afterEach(() => vi.useRealTimers());

const sum = (): Flow<number> => Flow.fromIterable([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);

/** A source the test feeds by hand: `send([1, 2])` emits, `send('end')` finishes. */
const pushSource = () =>
  producer<number>({
    handleDemand: () => undefined,
    handleInfo(m, stage) {
      if (m === 'end') {
        void stage.stop('normal');
        return undefined;
      }
      return m as number[];
    },
  });

describe('Flow windows', () => {
  it('emits a count window every n events, and what is left when the input ends', async () => {
    const out = await sum()
      .window(Window.count(3))
      .reduce(
        () => 0,
        (n, acc) => acc + n,
      )
      .emit('state')
      .toArray();
    expect(out).toEqual([6, 15, 24, 10]);
  });

  it('emits a global window once, at the end, and early with triggerEvery, keeping the accumulator', async () => {
    const out = await sum()
      .window(Window.global().triggerEvery(4))
      .reduce(
        () => 0,
        (n, acc) => acc + n,
      )
      .emit('state')
      .toArray();
    expect(out).toEqual([10, 36, 55]);
  });

  it('groups by event time in fixed windows, closing them by watermark and dropping late events', async () => {
    const events = [{ t: 0 }, { t: 500 }, { t: 1200 }, { t: 900 }, { t: 2500 }];
    const seen: [number, TriggerInfo['trigger'], number[]][] = [];
    await Flow.fromIterable(events)
      .window(Window.fixed(1000, (e: { t: number }) => e.t))
      .reduce(
        () => [] as number[],
        (e, acc) => [...acc, e.t],
      )
      .onTrigger((acc, info) => {
        seen.push([info.window, info.trigger, acc]);
        return [];
      })
      .run();
    // 1200 moves the watermark past 1000: window 0 closes; 900 then comes late.
    expect(seen).toEqual([
      [0, 'watermark', [0, 500]],
      [1000, 'watermark', [1200]],
      [2000, 'done', [2500]],
    ]);
  });

  it('keeps a fixed window open for late events within allowedLateness', async () => {
    const events = [{ t: 0 }, { t: 500 }, { t: 1200 }, { t: 900 }, { t: 2500 }];
    const windows = await Flow.fromIterable(events)
      .window(Window.fixed(1000, (e: { t: number }) => e.t, { allowedLateness: 500 }))
      .reduce(
        () => [] as number[],
        (e, acc) => [...acc, e.t],
      )
      .emit('state')
      .toArray();
    expect(windows).toEqual([[0, 500, 900], [1200], [2500]]);
  });

  it('emits a periodic window every interval of processing time', async () => {
    vi.useFakeTimers({
      toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
    });
    const source = pushSource();
    const out: number[] = [];
    const reading = (async () => {
      for await (const total of Flow.fromStages([source])
        .window(Window.periodic(1000))
        .reduce(
          () => 0,
          (n, acc) => acc + n,
        )
        .emit('state')
        .toAsyncIterable()) {
        out.push(total);
      }
    })();
    source.send([1, 2, 3]);
    await settle();
    await vi.advanceTimersByTimeAsync(1000);
    await settle();
    expect(out).toEqual([6]);
    source.send([10, 20]);
    await settle();
    await vi.advanceTimersByTimeAsync(1000);
    await settle();
    expect(out).toEqual([6, 30]);
    source.send('end');
    await reading;
    // The third window was open, empty, when the input ended: emitted with init().
    expect(out).toEqual([6, 30, 0]);
  });

  it('emits the initial value for a count window left empty when the input ends', async () => {
    const out = await Flow.fromIterable(Array.from({ length: 100 }, (_, i) => i + 1))
      .partition({ stages: 1, window: Window.count(50) })
      .reduce(
        () => 0,
        (x, a) => x + a,
      )
      .emit('state')
      .toArray();
    expect(out).toEqual([1275, 3775, 0]);
  });

  it('emits the initial value for the fixed windows between two that had events', async () => {
    const seen: [number, TriggerInfo['trigger'], number][] = [];
    await Flow.fromIterable([100, 3500, 3600, 5200])
      .window(Window.fixed(1000, (t: number) => t))
      .reduce(
        () => 0,
        (_t, n) => n + 1,
      )
      .onTrigger((n, { window, trigger }) => {
        seen.push([window, trigger, n]);
        return [];
      })
      .run();
    expect(seen).toEqual([
      [0, 'watermark', 1],
      [1000, 'watermark', 0],
      [2000, 'watermark', 0],
      [3000, 'watermark', 2],
      [4000, 'watermark', 0],
      [5000, 'done', 1],
    ]);
  });

  it('emits the initial value for each periodic tick with no event', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const source = pushSource();
    const reading = Flow.fromStages([source])
      .window(Window.periodic(100))
      .reduce(
        () => 0,
        (n, acc) => acc + n,
      )
      .onTrigger((total, { window }) => [[window, total] as [number, number]])
      .toArray();
    source.send([5]);
    await settle();
    await vi.advanceTimersByTimeAsync(300);
    source.send('end');
    expect(await reading).toEqual([
      [0, 5],
      [1, 0],
      [2, 0],
      [3, 0],
    ]);
  });

  it('emits the running accumulator with triggerPeriodically, keeping the window open', async () => {
    vi.useFakeTimers({
      toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
    });
    const source = pushSource();
    const out: [number, TriggerInfo['trigger']][] = [];
    const reading = Flow.fromStages([source])
      .window(Window.global().triggerPeriodically(500))
      .reduce(
        () => 0,
        (n, acc) => acc + n,
      )
      .onTrigger((total, { trigger }) => {
        out.push([total, trigger]);
        return [];
      })
      .run();
    source.send([1, 2, 3]);
    await settle();
    await vi.advanceTimersByTimeAsync(500);
    expect(out).toEqual([[6, 'periodically']]);
    source.send([4]);
    await settle();
    await vi.advanceTimersByTimeAsync(500);
    expect(out).toEqual([
      [6, 'periodically'],
      [10, 'periodically'],
    ]);
    source.send('end');
    await reading;
    expect(out).toEqual([
      [6, 'periodically'],
      [10, 'periodically'],
      [10, 'done'],
    ]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('emits when a custom trigger holds, keeping the window open', async () => {
    const seen: [number, TriggerInfo['trigger']][] = [];
    await sum()
      .window(Window.global().triggerWhen((acc: number, n: number) => acc > 10 && n % 2 === 0))
      .reduce(
        () => 0,
        (n, acc) => acc + n,
      )
      .onTrigger((total, { trigger }) => {
        seen.push([total, trigger]);
        return [];
      })
      .run();
    // Running sums 15 (after 5), 21 (6), 28 (7), 36 (8), 45 (9), 55 (10): even n after 10.
    expect(seen).toEqual([
      [21, 'custom'],
      [36, 'custom'],
      [55, 'custom'],
      [55, 'done'],
    ]);
  });

  it('rejects bad windows, naming the option', () => {
    expect(() => Window.count(0)).toThrow('Window.count: expected a positive integer, got 0');
    expect(() => Window.global().triggerWhen(5 as never)).toThrow(
      'Window.triggerWhen: expected a function, got number',
    );
    expect(() => Window.global().triggerPeriodically(-5)).toThrow(
      'Window.triggerPeriodically: expected a positive integer, got -5',
    );
    expect(() => Window.fixed(1000, () => 0, { allowedLateness: -1 })).toThrow('allowedLateness');
    expect(() => Flow.fromIterable([1]).onTrigger(() => [])).toThrow(
      'Flow.onTrigger: call it after reduce',
    );
  });
});

describe('Flow.boundedJoin', () => {
  const orders = [
    { id: 1, customer: 'a' },
    { id: 2, customer: 'b' },
    { id: 3, customer: 'x' },
  ];
  const customers = [
    { id: 'a', name: 'Ada' },
    { id: 'b', name: 'Bo' },
    { id: 'c', name: 'Cy' },
  ];
  const run = (mode: 'inner' | 'left' | 'right' | 'full') =>
    Flow.boundedJoin(
      mode,
      Flow.fromIterable(orders),
      Flow.fromIterable(customers),
      (o) => o.customer,
      (c) => c.id,
      (o, c) => `${o?.id ?? '-'}:${c?.name ?? '-'}`,
      { stages: 3 },
    ).toArray();

  it.each([
    ['inner', ['1:Ada', '2:Bo']],
    ['left', ['1:Ada', '2:Bo', '3:-']],
    ['right', ['-:Cy', '1:Ada', '2:Bo']],
    ['full', ['-:Cy', '1:Ada', '2:Bo', '3:-']],
  ] as const)(
    '%s join pairs equal keys and keeps the unmatched it should',
    async (mode, expected) => {
      expect((await run(mode)).sort()).toEqual(expected);
    },
  );

  it('pairs every left with every right of the same key', async () => {
    const out = await Flow.boundedJoin(
      'inner',
      Flow.fromIterable([1, 1, 2]),
      Flow.fromIterable([1, 1]),
      (n) => n,
      (n) => n,
      (l, r) => [l, r],
    ).toArray();
    expect(out).toHaveLength(4);
  });

  it('refuses an unknown mode', () => {
    expect(() =>
      Flow.boundedJoin(
        'outer' as never,
        Flow.fromIterable([1]),
        Flow.fromIterable([1]),
        (n) => n,
        (n) => n,
        () => 0,
      ),
    ).toThrow(
      "Flow.boundedJoin: mode: expected one of 'inner', 'left', 'right', 'full', got outer",
    );
  });
});
