/**
 * Draws a {@link ViewSnapshot} as text: a pure function of the snapshot
 * and the terminal's width, so it is tested without a terminal. Every line
 * is cut to the width (never wrapped), so a narrow terminal shows less of
 * each line instead of turning the redraw into a scrolling log.
 */
import cliTruncate from 'cli-truncate';
import type { LatencySummary } from './latency.ts';
import type { CountedLine, StageView, ViewSnapshot } from './snapshot.ts';

/** Options of {@link renderView}. */
export interface RenderOptions {
  /** The terminal's columns: no line is wider. */
  readonly width: number;
  /** Most failure reasons shown (default 5); the rest are counted in one line. */
  readonly maxReasons?: number;
  /** Most log lines shown (default 3). */
  readonly maxLogs?: number;
}

/** The view as lines of at most `width` columns, joined by `\n`. */
export function renderView(view: ViewSnapshot, options: RenderOptions): string {
  const width = Math.max(10, Math.floor(options.width));
  const lines = [
    `${view.name}  ${duration(view.elapsedMs)}  ${view.state}`,
    progress(view, width),
    `${count(view.perSecond)} msg/s  acked ${count(view.acked)}  failed ${count(view.failed)}  in flight ${count(view.inFlight)}`,
    ...(view.stages.length === 0 ? [] : [STAGE_HEADER, ...view.stages.map(stage)]),
    ...latencyLines(view),
    ...(view.lag === undefined
      ? []
      : [
          `  ${'lag'.padEnd(14)} ${count(view.lag.messages)} behind (${view.lag.partitions} partition${view.lag.partitions === 1 ? '' : 's'})`,
        ]),
    ...counts('failed by reason', view.failures, options.maxReasons ?? 5),
    ...counts(
      view.logFile === undefined ? 'log' : `log (all records in ${view.logFile})`,
      view.logs,
      options.maxLogs ?? 3,
    ),
  ];
  return lines.map((line) => fit(line, width)).join('\n');
}

/** Cuts `line` to `width` columns, with an ellipsis where it was cut. */
export function fit(line: string, width: number): string {
  return cliTruncate(line, width, { position: 'end' });
}

function progress(view: ViewSnapshot, width: number): string {
  const done = view.acked + view.failed;
  if (view.total === undefined || view.total <= 0) {
    return `${count(done)} done, ${count(view.received)} received (no end known)`;
  }
  const share = Math.min(1, done / view.total);
  const remaining = Math.max(0, view.total - done);
  const eta =
    remaining === 0
      ? 'done'
      : view.perSecond > 0
        ? `ETA ${duration((remaining / view.perSecond) * 1000)}`
        : 'ETA –';
  const text = ` ${(share * 100).toFixed(0).padStart(3)}%  ${count(done)}/${count(view.total)}  ${eta}`;
  const bar = Math.max(10, Math.min(40, width - text.length));
  const filled = Math.round(share * bar);
  return `${'█'.repeat(filled)}${'░'.repeat(bar - filled)}${text}`;
}

const STAGE_HEADER = `  ${'stage'.padEnd(22)}${'in flight'.padStart(10)}${'msg/s'.padStart(10)}${'batches/s'.padStart(11)}`;

function stage(s: StageView): string {
  const label =
    s.kind === 'producers'
      ? `producers ×${s.concurrency}`
      : `${s.kind} ${s.name} ×${s.concurrency}`;
  return [
    `  ${label.padEnd(22)}`,
    count(s.inFlight).padStart(10),
    s.perSecond === undefined ? '' : count(s.perSecond).padStart(10),
    s.batchesPerSecond === undefined ? '' : s.batchesPerSecond.toFixed(1).padStart(11),
  ]
    .join('')
    .trimEnd();
}

function latencyLines(view: ViewSnapshot): string[] {
  const line = (what: string, l: LatencySummary | undefined): string[] =>
    l === undefined ? [] : [`  ${what.padEnd(14)} p50 ${ms(l.p50)}  p99 ${ms(l.p99)}`];
  return [...line('handleMessage', view.latency), ...line('handleBatch', view.batchLatency)];
}

function counts(title: string, lines: readonly CountedLine[], max: number): string[] {
  if (lines.length === 0) return [];
  const shown = lines.slice(0, max).map((l) => `  ${count(l.count).padStart(6)}× ${l.line}`);
  const rest = lines.slice(max);
  if (rest.length > 0) {
    const n = rest.reduce((a, l) => a + l.count, 0);
    shown.push(`  ${count(n).padStart(6)}× in ${rest.length} more`);
  }
  return [`${title}:`, ...shown];
}

/** A whole number with thousands separators. */
export function count(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** A duration given in milliseconds: `850 µs`, `4.20 ms`, `120 ms`, `1.50 s`. */
export function ms(value: number): string {
  if (value < 1) return `${Math.round(value * 1000)} µs`;
  if (value < 10) return `${value.toFixed(2)} ms`;
  if (value < 1000) return `${value.toFixed(0)} ms`;
  return `${(value / 1000).toFixed(2)} s`;
}

/** `12.3s`, `4m05s`, `2h03m`. */
export function duration(milliseconds: number): string {
  const s = milliseconds / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
