/**
 * `telemetry: { otlp: true }`: the built `sluice run` exports its spans and
 * metrics over OTLP (HTTP/JSON here, chosen by the standard OTEL_* variables)
 * to a receiver in this test; without the SDK installed it names what to
 * install.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = resolve(import.meta.dirname, '../dist/bin.js');
const HIDE = resolve(import.meta.dirname, 'fixtures/hide-packages.js');
let dir = '';
let server: Server;
let endpoint = '';
/** What the receiver got, by path (`/v1/traces`, `/v1/metrics`). */
const received = new Map<string, unknown[]>();

beforeAll(async () => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run npm run build first`);
  dir = mkdtempSync(join(tmpdir(), 'sluice-otlp-'));
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const list = received.get(req.url ?? '') ?? [];
      list.push(JSON.parse(body));
      received.set(req.url ?? '', list);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

function sluice(
  file: string,
  env: Record<string, string>,
  hide: readonly string[] = [],
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((done, reject) => {
    const child = spawn(
      process.execPath,
      [...(hide.length > 0 ? ['--import', HIDE] : []), BIN, 'run', file],
      {
        cwd: dir,
        env: { ...process.env, SLUICE_HIDE_PACKAGES: hide.join(','), ...env },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => done({ code, stderr }));
  });
}

const pipelineFile = (name: string, telemetry: string): string => {
  writeFileSync(
    join(dir, name),
    `name: otlp-run\nproducer: { type: generator, count: 40 }\nbatchers: { default: { batchSize: 10, batchTimeout: 50 } }\nsink: { type: file, path: /dev/null }\n${telemetry}\n`,
  );
  return name;
};

interface OtlpSpan {
  name: string;
  kind: number;
  attributes: { key: string; value: Record<string, unknown> }[];
}

describe('sluice run with telemetry.otlp', () => {
  it('exports a process span per message and the consumed-messages count to the OTLP endpoint', async () => {
    const { code, stderr } = await sluice(pipelineFile('otlp.yaml', 'telemetry: { otlp: true }'), {
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_SERVICE_NAME: 'sluice-otlp-test',
      OTEL_TRACES_SAMPLER: 'always_on',
    });
    expect(code, stderr).toBe(0);

    const traces = (received.get('/v1/traces') ?? []) as {
      resourceSpans: {
        resource: { attributes: { key: string; value: { stringValue?: string } }[] };
        scopeSpans: { scope: { name: string }; spans: OtlpSpan[] }[];
      }[];
    }[];
    const resource = traces[0]?.resourceSpans[0]?.resource.attributes ?? [];
    expect(resource.find((a) => a.key === 'service.name')?.value.stringValue).toBe(
      'sluice-otlp-test',
    );
    const spans = traces.flatMap((t) =>
      t.resourceSpans.flatMap((r) =>
        r.scopeSpans.filter((s) => s.scope.name === '@sluice/otel').flatMap((s) => s.spans),
      ),
    );
    const processSpans = spans.filter(
      (s) => s.name === 'process' && s.attributes.some((a) => a.key === 'sluice.processor'),
    );
    expect(processSpans).toHaveLength(40);
    expect(processSpans.every((s) => s.kind === 5)).toBe(true); // SPAN_KIND_CONSUMER
    const batches = spans.filter((s) => s.attributes.some((a) => a.key === 'sluice.batcher'));
    expect(batches).toHaveLength(4);

    const metrics = JSON.stringify(received.get('/v1/metrics') ?? []);
    expect(metrics).toContain('"messaging.client.consumed.messages"');
    expect(metrics).toContain('"messaging.process.duration"');
  });

  it.each([
    ['its setup throws', 'setup-fails.yaml', '', 'true'],
    ['its Prometheus port is taken', 'port-taken.yaml', 'PROMETHEUS', ''],
  ])(
    'stops the export, flushing pending spans, when the run fails to start because %s',
    async (_why, file, prometheus, fail) => {
      // A span made in setup is only exported if the run shuts the SDK down.
      const api = createRequire(import.meta.url).resolve('@opentelemetry/api');
      writeFileSync(
        join(dir, 'setup-span.mjs'),
        `import { trace } from ${JSON.stringify(api)};
` +
          `export const handleMessage = (m) => m;
` +
          `export function setup() {
` +
          `  trace.getTracer('setup-test').startSpan('setup ' + process.env.SETUP_SPAN).end();
` +
          `  if (process.env.SETUP_FAILS === 'true') throw new Error('setup failed on purpose');
` +
          `}
`,
      );
      const busy = createServer();
      await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
      const port = (busy.address() as AddressInfo).port;
      try {
        const telemetry =
          prometheus === ''
            ? 'telemetry: { otlp: true }'
            : `telemetry: { otlp: true, prometheus: { port: ${port}, host: 127.0.0.1 } }`;
        writeFileSync(
          join(dir, file),
          `name: otlp-fail\nproducer: { type: generator, count: 5 }\nhandlers: ./setup-span.mjs\nsink: { type: file, path: /dev/null }\n${telemetry}\n`,
        );
        const { code, stderr } = await sluice(file, {
          OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
          OTEL_TRACES_SAMPLER: 'always_on',
          SETUP_SPAN: file,
          SETUP_FAILS: fail,
        });
        expect(code, stderr).toBe(1);
        expect(stderr).toContain('failed to start');
        const names = JSON.stringify(received.get('/v1/traces') ?? []);
        expect(names).toContain(`"setup ${file}"`);
      } finally {
        busy.close();
      }
    },
  );

  it('names the packages to install when the OpenTelemetry SDK is missing', async () => {
    const { code, stderr } = await sluice(
      pipelineFile('missing.yaml', 'telemetry: { otlp: true }'),
      {},
      ['@opentelemetry/sdk-node', '@opentelemetry/api'],
    );
    expect(code).toBe(1);
    expect(stderr).toContain(
      "telemetry.otlp needs @opentelemetry/api and @opentelemetry/sdk-node, which are not installed: run `npm install '@opentelemetry/api@^1.9.0' '@opentelemetry/sdk-node@>=0.200.0'`",
    );
  });

  it('names @sluice/otel too when it is not installed', async () => {
    const { code, stderr } = await sluice(
      pipelineFile('missing-otel.yaml', 'telemetry: { otlp: true }'),
      {},
      ['@sluice/otel'],
    );
    expect(code).toBe(1);
    expect(stderr).toContain(
      "telemetry.otlp needs @sluice/otel, which is not installed: run `npm install '@sluice/otel@0.1.0'`",
    );
  });

  it('refuses a telemetry.otlp that is not a boolean', async () => {
    const { code, stderr } = await sluice(
      pipelineFile('bad.yaml', 'telemetry: { otlp: yes-please }'),
      {},
    );
    expect(code).toBe(2);
    expect(stderr).toContain('telemetry.otlp');
  });
});
