import { describe, expect, it } from 'vitest';
import { renderView, type ViewSnapshot } from '../../src/view/index.ts';

const busy: ViewSnapshot = {
  name: 'orders-with-a-rather-long-pipeline-name',
  state: 'running',
  elapsedMs: 12_345,
  total: 3_000_000,
  received: 1_200_000,
  acked: 1_100_000,
  failed: 2_200,
  inFlight: 1_024,
  perSecond: 98_765.4,
  stages: [
    { kind: 'producers', name: 'producers', concurrency: 2, inFlight: 500 },
    { kind: 'processor', name: 'default', concurrency: 8, inFlight: 300, perSecond: 98_800 },
    {
      kind: 'batcher',
      name: 'warehouse',
      concurrency: 2,
      inFlight: 224,
      perSecond: 98_500,
      batchesPerSecond: 197.3,
    },
  ],
  latency: { p50: 0.42, p99: 3.25, samples: 4096 },
  batchLatency: { p50: 12.5, p99: 1_500, samples: 900 },
  lag: { messages: 12_345, partitions: 3 },
  failures: [
    {
      line: 'TypeError: Cannot read properties of undefined (reading "amount") (/home/me/project/src/handlers.ts:12:9)',
      count: 2_000,
    },
    { line: 'order N has no amount', count: 150 },
    { line: 'a', count: 10 },
    { line: 'b', count: 10 },
    { line: 'c', count: 10 },
    { line: 'd', count: 10 },
    { line: 'e', count: 10 },
  ],
  logs: [{ line: 'warn producer 0 reconnecting after ECONNRESET', count: 3 }],
  logFile: '/tmp/sluice-1234.log',
};

describe('renderView', () => {
  for (const width of [60, 160]) {
    it(`keeps every line within ${width} columns and shows every field`, () => {
      const text = renderView(busy, { width });
      const lines = text.split('\n');
      for (const line of lines) expect([...line].length).toBeLessThanOrEqual(width);
      expect(text).toContain('37%'); // 1,102,200 of 3,000,000
      expect(text).toContain('1,102,200/3,000,000');
      expect(text).toMatch(/ETA 19\.2s/); // 1,897,800 left at 98,765/s
      expect(text).toContain('98,765 msg/s');
      expect(text).toMatch(/producers ×2\s+500/);
      expect(text).toMatch(/processor default ×8\s+300\s+98,800/);
      expect(text).toMatch(/batcher warehouse ×2\s+224\s+98,500\s+197\.3/);
      expect(text).toContain('handleMessage  p50 420 µs  p99 3.25 ms');
      expect(text).toContain('handleBatch    p50 13 ms  p99 1.50 s');
      expect(text).toContain('12,345 behind (3 partitions)');
      expect(text).toMatch(/2,000× TypeError: Cannot read/);
      expect(text).toContain('150× order N has no amount');
      // Five reasons shown, the other two counted in one line.
      expect(text).toContain('20× in 2 more');
      expect(text).toContain('3× warn producer 0 reconnecting');
    });
  }

  it('cuts long lines at 60 columns with an ellipsis, and leaves them whole at 160', () => {
    const narrow = renderView(busy, { width: 60 }).split('\n');
    const wide = renderView(busy, { width: 160 }).split('\n');
    expect(narrow).toHaveLength(wide.length);
    const crash = (lines: string[]): string => lines.find((l) => l.includes('TypeError')) ?? '';
    expect(crash(narrow)).toMatch(/…$/);
    expect(crash(wide)).toContain('handlers.ts:12:9)');
  });

  it('says there is no known end when the count is unknown, and omits what was not measured', () => {
    const endless: ViewSnapshot = {
      name: 'tail',
      state: 'running',
      elapsedMs: 61_000,
      received: 10,
      acked: 7,
      failed: 1,
      inFlight: 2,
      perSecond: 0.5,
      stages: [],
      failures: [],
      logs: [],
    };
    const text = renderView(endless, { width: 60 });
    expect(text).toBe(
      [
        'tail  1m01s  running',
        '8 done, 10 received (no end known)',
        '1 msg/s  acked 7  failed 1  in flight 2',
      ].join('\n'),
    );
  });
});
