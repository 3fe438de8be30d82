import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { isMetricsError } from '../../src/errors.js';
import { type MetricsServer, startMetricsServer } from '../../src/http/server.js';
import { Counter } from '../../src/metrics/counter.js';
import { Registry } from '../../src/metrics/registry.js';

const started: MetricsServer[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.close()));
});

async function serve(options: Parameters<typeof startMetricsServer>[0] = {}) {
  const registry = new Registry({ storage: false });
  new Counter({ name: 'jobs_total', help: 'Jobs.', registers: [registry] }).inc(3);
  const server = await startMetricsServer({ port: 0, registry, ...options });
  started.push(server);
  return server;
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isMetricsError(error) && error.code).toBe('INVALID_OPTION');
  return (error as Error).message;
}

describe('startMetricsServer', () => {
  it('serves a registry on 127.0.0.1 by default, at /metrics, and tells its address', async () => {
    const server = await serve();
    expect(server.address.address).toBe('127.0.0.1');
    expect(server.address.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.address.port}/metrics`);
    const res = await fetch(server.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(await res.text()).toContain('jobs_total 3\n');
    const om = await fetch(server.url, { headers: { accept: 'application/openmetrics-text' } });
    expect(await om.text()).toContain('# EOF');
  });

  it('answers 404 elsewhere and serves a configured path', async () => {
    const server = await serve({ path: '/internal/metrics' });
    expect(server.url.endsWith('/internal/metrics')).toBe(true);
    expect((await fetch(server.url.replace('/internal/metrics', '/metrics'))).status).toBe(404);
    expect((await fetch(`${server.url}?x=1`)).status).toBe(200);
  });

  it('protects the endpoint; the predicate gets the Node request', async () => {
    const bearer = await serve({ auth: { bearer: 't' } });
    expect((await fetch(bearer.url)).status).toBe(401);
    expect((await fetch(bearer.url, { headers: { authorization: 'Bearer t' } })).status).toBe(200);
    const predicate = await serve({ auth: (req) => req.headers['x-key'] === 'k' });
    expect((await fetch(predicate.url)).status).toBe(403);
    expect((await fetch(predicate.url, { headers: { 'x-key': 'k' } })).status).toBe(200);
  });

  it('closes: the port is free again, open keep-alive connections included', async () => {
    const server = await serve();
    await fetch(server.url).then((r) => r.text());
    await server.close();
    started.length = 0;
    await expect(fetch(server.url)).rejects.toThrow();
  });

  it('refuses bad options and a port in use, naming them', async () => {
    expect(await refusal(startMetricsServer({ port: 70000 }))).toContain('port 70000 must be a whole number');
    expect(await refusal(startMetricsServer({ port: 0, host: '' }))).toContain('host "" must be');
    expect(await refusal(startMetricsServer({ port: 0, path: 'metrics' }))).toContain('path "metrics"');
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const { port } = taken.address() as AddressInfo;
    try {
      expect(await refusal(startMetricsServer({ port }))).toContain(
        `cannot listen on 127.0.0.1:${port} (EADDRINUSE)`,
      );
    } finally {
      taken.close();
    }
  });
});
