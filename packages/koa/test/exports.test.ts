import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it, vi } from 'vitest';

/** The public surface of @mmstats/koa, pinned: changing it is a decision, made here. */
const EXPORTS = ['default', 'mmstats'];

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const built = (file: string) => {
  const path = join(dist, file);
  expect(existsSync(path), `${path} is missing: build first (cd packages/koa && npx tsup)`).toBe(true);
  return path;
};
type Adapter = { default: unknown; mmstats: unknown };

describe('export surface of @mmstats/koa', () => {
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
  it('works as CommonJS users load it, with a Registry from the CommonJS build of core', async () => {
    const require = createRequire(import.meta.url);
    const { mmstats } = require(built('index.cjs')) as typeof import('../dist/index.js');
    const { Registry } = require('@mmstats/core') as typeof import('@mmstats/core');
    const Koa = require('koa') as typeof import('koa');
    const { Router } = require('@koa/router') as typeof import('@koa/router');
    const app = new Koa();
    const router = new Router();
    router.get('/x', (ctx) => {
      ctx.body = 'x';
    });
    app.use(mmstats({ registry: new Registry({ storage: false }), processMetrics: false }));
    app.use(router.routes());
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      expect((await fetch(`${url}/x`)).status).toBe(200);
      await vi.waitFor(async () =>
        expect(await (await fetch(`${url}/metrics`)).text()).toContain(
          'http_requests_total{method="GET",route="/x",status="2XX"} 1',
        ),
      );
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
