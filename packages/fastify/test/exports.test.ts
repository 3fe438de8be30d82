import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it, vi } from 'vitest';

/** The public surface of @mmstats/fastify, pinned: changing it is a decision, made here. */
const EXPORTS = ['default', 'mmstats'];

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const built = (file: string) => {
  const path = join(dist, file);
  expect(existsSync(path), `${path} is missing: build first (cd packages/fastify && npx tsup)`).toBe(true);
  return path;
};
type Adapter = { default: unknown; mmstats: unknown };

describe('export surface of @mmstats/fastify', () => {
  it('ESM (import) exports exactly the pinned names; default is mmstats', async () => {
    const esm = (await import(pathToFileURL(built('index.js')).href)) as Adapter;
    expect(Object.keys(esm).sort()).toEqual(EXPORTS);
    expect(esm.default).toBe(esm.mmstats);
    expect(typeof esm.mmstats).toBe('function');
  });

  it('CommonJS (require of dist/index.cjs) exports the same names', () => {
    const cjs = createRequire(import.meta.url)(built('index.cjs')) as Adapter;
    expect(Object.keys(cjs).sort()).toEqual(EXPORTS);
    expect(cjs.default).toBe(cjs.mmstats);
    expect(typeof cjs.mmstats).toBe('function');
  });
  it('registers as CommonJS users write it: app.register(require("@mmstats/fastify"))', async () => {
    const require = createRequire(import.meta.url);
    const plugin = require(built('index.cjs')) as typeof import('../dist/index.js');
    const { Registry } = require('@mmstats/core') as typeof import('@mmstats/core');
    const Fastify = require('fastify') as typeof import('fastify');
    const app = Fastify();
    await app.register(plugin as unknown as typeof plugin.default, {
      registry: new Registry({ storage: false }),
      processMetrics: false,
    });
    app.get('/x', async () => 'x');
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
      expect((await fetch(`${url}/x`)).status).toBe(200);
      await vi.waitFor(async () =>
        expect(await (await fetch(`${url}/metrics`)).text()).toContain(
          'http_requests_total{method="GET",route="/x",status="2XX"} 1',
        ),
      );
    } finally {
      app.server.closeAllConnections();
      await app.close();
    }
  });
});
