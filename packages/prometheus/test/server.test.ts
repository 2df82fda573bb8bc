import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { servePrometheus } from '../src/index.ts';

describe('servePrometheus', () => {
  it('serves the registry at its path in the text format, and 404 elsewhere', async () => {
    const registry = new Registry();
    new Counter({ name: 'x_total', help: 'x', registers: [registry] }).inc(3);
    const server = await servePrometheus({ registry, port: 0, host: '127.0.0.1' });
    try {
      expect(server.url).toBe(`http://127.0.0.1:${server.port}/metrics`);
      const ok = await fetch(server.url);
      expect(ok.status).toBe(200);
      expect(ok.headers.get('content-type')).toBe(registry.contentType);
      expect(await ok.text()).toContain('x_total 3');
      const missing = await fetch(`http://127.0.0.1:${server.port}/other`);
      expect(missing.status).toBe(404);
      await missing.text();
    } finally {
      await server.close();
    }
  });

  it('says which address it could not bind', async () => {
    const registry = new Registry();
    const first = await servePrometheus({ registry, port: 0, host: '127.0.0.1' });
    try {
      await expect(
        servePrometheus({ registry, port: first.port, host: '127.0.0.1' }),
      ).rejects.toThrow(
        `cannot serve Prometheus metrics on 127.0.0.1:${first.port}: listen EADDRINUSE`,
      );
    } finally {
      await first.close();
    }
  });

  it('names the bad option', async () => {
    const registry = new Registry();
    await expect(servePrometheus({ registry, port: 70000 })).rejects.toThrow(
      /port: expected a TCP port/,
    );
    await expect(servePrometheus({ registry, path: 'metrics' })).rejects.toThrow(
      /path: expected a path starting with '\/'/,
    );
  });
});
