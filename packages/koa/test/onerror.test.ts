import Router from '@koa/router';
import { Registry } from '@mmstats/core';
import { baseUrl, get, listenOnLoopback, type RunningApp, sampleValue } from '@mmstats/test-utils';
import Koa from 'koa';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { mmstats } from '../dist/index.js';

/**
 * The adapter learns that a response is over from Koa's own `ctx.onerror` (see finish-hook.ts).
 * Applications replace that handler (koa-onerror does `app.context.onerror = …`): their handler
 * must still run, and requests must still be counted, whenever it is replaced.
 */
let running: RunningApp | null = null;

afterEach(async () => {
  await running?.close();
  running = null;
});

async function start(app: Koa): Promise<string> {
  running = await listenOnLoopback(app);
  return baseUrl(running.server);
}

function buildApp(registry: Registry): Koa {
  const app = new Koa();
  app.silent = true;
  app.use(mmstats({ registry, processMetrics: false, statusCodes: 'exact' }));
  const router = new Router();
  router.get('/ok', (ctx) => {
    ctx.body = 'ok';
  });
  router.get('/boom', () => {
    throw new Error('boom');
  });
  app.use(router.routes());
  return app;
}

/** A replacement like koa-onerror's: answers errors itself with 503 and a body of its own. */
function customHandler(seen: string[]): (this: Koa.Context, err: Error | null) => void {
  return function onerror(this: Koa.Context, err: Error | null) {
    if (err == null) return;
    seen.push(err.message);
    this.res.statusCode = 503;
    this.res.end('handled');
  };
}

async function expectCounts(registry: Registry, counts: Record<string, number>): Promise<void> {
  await vi.waitFor(
    async () => {
      const text = await registry.metrics();
      for (const [key, value] of Object.entries(counts)) {
        const [route, status] = key.split(' ');
        expect(
          sampleValue(text, 'http_requests_total', { method: 'GET', route: route!, status: status! }),
        ).toBe(value);
      }
      expect(sampleValue(text, 'http_requests_in_flight')).toBe(0);
    },
    { timeout: 3000, interval: 10 },
  );
}

describe('@mmstats/koa with an application that replaces ctx.onerror', () => {
  it('before the first request: the handler answers errors and every request is counted', async () => {
    const registry = new Registry({ storage: false });
    const app = buildApp(registry);
    const seen: string[] = [];
    app.context.onerror = customHandler(seen);
    const url = await start(app);
    expect((await get(`${url}/ok`)).status).toBe(200);
    const boom = await get(`${url}/boom`);
    expect([boom.status, boom.body]).toEqual([503, 'handled']);
    expect(seen).toEqual(['boom']);
    await expectCounts(registry, { '/ok 200': 1, '/boom 503': 1 });
  });

  it('after requests were served: the new handler runs and counting goes on', async () => {
    const registry = new Registry({ storage: false });
    const app = buildApp(registry);
    const url = await start(app);
    expect((await get(`${url}/ok`)).status).toBe(200);
    expect((await get(`${url}/boom`)).status).toBe(500);
    const seen: string[] = [];
    app.context.onerror = customHandler(seen);
    expect((await get(`${url}/ok`)).status).toBe(200);
    const boom = await get(`${url}/boom`);
    expect([boom.status, boom.body]).toEqual([503, 'handled']);
    expect(seen).toEqual(['boom']);
    await expectCounts(registry, { '/ok 200': 2, '/boom 500': 1, '/boom 503': 1 });
  });
});
