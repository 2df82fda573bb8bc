/** How `npm run bench` summarises its samples: medians, ratios against goals, footprint. */
import { formatRate, median, table } from '../stats.ts';
import type { Scenario } from './scenarios.ts';

/** One counted run, in its own process. */
export interface Sample {
  readonly msgsPerSecond: number;
  readonly cpuUsPerMessage: number;
  readonly maxRssMiB: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly checkpoints: { readonly at: number; readonly maxRssMiB: number }[];
}

/** One footprint probe (bench/src/footprint.ts), in its own process. */
export interface FootprintSample {
  readonly mode: 'sluice' | 'bare';
  readonly importMs: number;
  /** CPU time of the import (user + system). */
  readonly importCpuMs: number;
  readonly rssMiB: number;
  readonly heapUsedMiB: number;
  readonly maxRssMiB: number;
  /** Spawn to exit, as the parent saw it. */
  readonly wallMs: number;
}

export interface Summary {
  readonly scenario: Scenario;
  readonly n: number;
  readonly runs: number;
  readonly msgsPerSecond: { readonly median: number; readonly min: number; readonly max: number };
  readonly cpuUsPerMessage: number;
  readonly maxRssMiB: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly checkpoints: { readonly at: number; readonly maxRssMiB: number }[];
}

export function summarise(scenario: Scenario, n: number, samples: readonly Sample[]): Summary {
  const rates = samples.map((s) => s.msgsPerSecond);
  const mid = samples.find((s) => s.msgsPerSecond === median(rates)) ?? samples[0];
  return {
    scenario,
    n,
    runs: samples.length,
    msgsPerSecond: { median: median(rates), min: Math.min(...rates), max: Math.max(...rates) },
    cpuUsPerMessage: median(samples.map((s) => s.cpuUsPerMessage)),
    maxRssMiB: median(samples.map((s) => s.maxRssMiB)),
    p50Ms: median(samples.map((s) => s.p50Ms)),
    p99Ms: median(samples.map((s) => s.p99Ms)),
    p999Ms: median(samples.map((s) => s.p999Ms)),
    checkpoints: mid?.checkpoints ?? [],
  };
}

const ms = (v: number): string => (v < 1 ? `${(v * 1000).toFixed(0)} µs` : `${v.toFixed(2)} ms`);

export function scenarioTable(summaries: readonly Summary[]): string {
  return table(
    [
      'scenario',
      'N',
      'runs',
      'msgs/s',
      'min – max',
      'CPU µs/msg',
      'peak RSS MiB',
      'p50',
      'p99',
      'p99.9',
    ],
    summaries.map((s) => [
      s.scenario,
      s.n.toLocaleString(),
      String(s.runs),
      formatRate(s.msgsPerSecond.median),
      `${formatRate(s.msgsPerSecond.min)} – ${formatRate(s.msgsPerSecond.max)}`,
      s.cpuUsPerMessage.toFixed(3),
      s.maxRssMiB.toFixed(1),
      ms(s.p50Ms),
      ms(s.p99Ms),
      ms(s.p999Ms),
    ]),
  );
}

export interface Footprint {
  readonly bare: { readonly rssMiB: number; readonly wallMs: number };
  readonly sluice: {
    readonly rssMiB: number;
    readonly wallMs: number;
    readonly importMs: number;
    readonly importCpuMs: number;
  };
  readonly rssAboveBareMiB: number;
  readonly importMs: number;
  readonly wallAboveBareMs: number;
}

export function footprint(samples: readonly FootprintSample[]): Footprint | undefined {
  const of = (mode: 'sluice' | 'bare') => samples.filter((s) => s.mode === mode);
  const bare = of('bare');
  const sl = of('sluice');
  if (bare.length === 0 || sl.length === 0) return undefined;
  const b = {
    rssMiB: median(bare.map((s) => s.rssMiB)),
    wallMs: median(bare.map((s) => s.wallMs)),
  };
  const s = {
    rssMiB: median(sl.map((x) => x.rssMiB)),
    wallMs: median(sl.map((x) => x.wallMs)),
    importMs: median(sl.map((x) => x.importMs)),
    importCpuMs: median(sl.map((x) => x.importCpuMs)),
  };
  return {
    bare: b,
    sluice: s,
    rssAboveBareMiB: s.rssMiB - b.rssMiB,
    importMs: s.importMs,
    wallAboveBareMs: s.wallMs - b.wallMs,
  };
}

/** A goal: `value` against `target`, met when `ok`. */
export interface Goal {
  readonly name: string;
  readonly value: string;
  readonly target: string;
  readonly ok: boolean;
}

/** The goals (and the older throughput ratios), from the summaries of one run. */
export function goals(summaries: readonly Summary[], fp: Footprint | undefined): Goal[] {
  const get = (name: Scenario): Summary | undefined => summaries.find((s) => s.scenario === name);
  const out: Goal[] = [];
  const ratio = (a: Scenario, b: Scenario, target: number): void => {
    const x = get(a);
    const y = get(b);
    if (x === undefined || y === undefined) return;
    const value = x.msgsPerSecond.median / y.msgsPerSecond.median;
    out.push({
      name: `${a}/${b} msgs/s`,
      value: `${value.toFixed(2)}×`,
      target: `≥ ${target}×`,
      ok: value >= target,
    });
  };
  ratio('A', 'N1', 0.5);
  ratio('A', 'N2', 2.0);
  ratio('B', 'A', 0.8);
  ratio('C', 'A', 0.7);
  ratio('D', 'N1-json', 0.8);
  ratio('E100', 'P100', 0.95);
  const g = get('G');
  const ng = get('NG');
  if (g !== undefined && ng !== undefined) {
    out.push({
      name: 'G p99 vs NG p99',
      value: `${ms(g.p99Ms)} vs ${ms(ng.p99Ms)}`,
      target: '≤ NG',
      ok: g.p99Ms <= ng.p99Ms,
    });
  }
  if (g !== undefined) {
    out.push({ name: 'G p99.9', value: ms(g.p999Ms), target: '< 1 ms', ok: g.p999Ms < 1 });
  }
  if (fp !== undefined) {
    out.push({
      name: 'import RSS above bare node',
      value: `${fp.rssAboveBareMiB.toFixed(1)} MiB`,
      target: '≤ 5 MiB',
      ok: fp.rssAboveBareMiB <= 5,
    });
    out.push({
      name: 'import time',
      value: `${fp.importMs.toFixed(1)} ms`,
      target: '≤ 30 ms',
      ok: fp.importMs <= 30,
    });
    const f = get('F');
    if (f !== undefined) {
      const peak = Math.max(f.maxRssMiB, ...f.checkpoints.map((c) => c.maxRssMiB));
      const above = peak - fp.sluice.rssMiB;
      out.push({
        name: 'F peak RSS above idle Sluice',
        value: `${above.toFixed(1)} MiB`,
        target: '≤ 20 MiB',
        ok: above <= 20,
      });
    }
  }
  return out;
}

export function goalTable(list: readonly Goal[], smoke: boolean): string {
  return table(
    ['goal', 'value', 'target', ''],
    list.map((g) => [g.name, g.value, g.target, smoke ? '' : g.ok ? 'met' : 'MISSED']),
  );
}
