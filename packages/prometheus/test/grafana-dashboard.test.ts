/**
 * examples/grafana/sluice-dashboard.json: it parses as a Grafana dashboard,
 * every metric its queries read is one the exporter registers, and the
 * queries docs/telemetry.md gives are the dashboard's own.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { prometheusExporter } from '../src/index.ts';

const root = resolve(import.meta.dirname, '../../..');
const dashboard = JSON.parse(
  readFileSync(resolve(root, 'examples/grafana/sluice-dashboard.json'), 'utf8'),
) as {
  uid: string;
  schemaVersion: number;
  templating: {
    list: { name: string; type: string; query: unknown; definition?: string }[];
  };
  panels: {
    id: number;
    title: string;
    type: string;
    gridPos: { x: number; y: number; w: number; h: number };
    datasource: { type: string; uid: string };
    targets: { refId: string; expr: string; datasource: { uid: string } }[];
  }[];
};

const exporter = prometheusExporter();
afterAll(() => exporter.close());

/** The names a scrape can show: each metric's, and a histogram's `_bucket`, `_sum`, `_count`. */
async function exposedNames(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const m of await exporter.registry.getMetricsAsJSON()) {
    names.add(m.name);
    if (String(m.type) === 'histogram') {
      for (const suffix of ['_bucket', '_sum', '_count']) names.add(m.name + suffix);
    }
  }
  return names;
}

const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));
const variableQueries = dashboard.templating.list
  .map((v) => v.definition)
  .filter((q): q is string => q !== undefined);

describe('the Grafana dashboard example', () => {
  it('is a dashboard with a Prometheus data source variable, a pipeline variable and unique panels', () => {
    expect(dashboard.uid).toBe('sluice-pipelines');
    expect(dashboard.schemaVersion).toBeGreaterThan(30);
    const variables = dashboard.templating.list.map((v) => [v.name, v.type]);
    expect(variables).toEqual([
      ['datasource', 'datasource'],
      ['pipeline', 'query'],
    ]);
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dashboard.panels) {
      expect(p.datasource, p.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
      expect(p.targets.length, p.title).toBeGreaterThan(0);
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
      for (const t of p.targets) expect(t.datasource.uid, p.title).toBe('${datasource}');
    }
  });

  it('queries only metrics the exporter registers', async () => {
    const exposed = await exposedNames();
    const queried = [...exprs, ...variableQueries].flatMap((e) => e.match(/\bsluice_\w+/g) ?? []);
    expect(queried.length).toBeGreaterThan(10);
    const unknown = queried.filter((name) => !exposed.has(name));
    expect(unknown).toEqual([]);
    // Each panel's metrics, at least one per panel.
    for (const p of dashboard.panels) {
      expect(
        p.targets.every((t) => /\bsluice_\w+/.test(t.expr)),
        p.title,
      ).toBe(true);
    }
  });

  it('holds the throughput, error-rate and lag queries of docs/telemetry.md', () => {
    const docs = readFileSync(resolve(root, 'docs/telemetry.md'), 'utf8');
    const queries = [...docs.matchAll(/```promql\n([\s\S]*?)\n```/g)].map((m) => m[1]);
    expect(queries).toHaveLength(3);
    for (const q of queries) expect(exprs).toContain(q);
  });
});
