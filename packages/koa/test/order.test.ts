import Router from '@koa/router';
import { Registry } from '@mmstats/core';
import { baseUrl, get, listenOnLoopback, type RunningApp, sampleValue } from '@mmstats/test-utils';
import Koa from 'koa';
import Koa2 from 'koa2';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { mmstats } from '../dist/index.js';

let running: RunningApp | null = null;

afterEach(async () => {
  await running?.close();
  running = null;
  vi.restoreAllMocks();
});

for (const [name, Framework] of [
  ['Koa 3', Koa],
  ['Koa 2', Koa2],
] as const) {
  describe(`${name}: registered after router.routes()`, () => {
    it('warns once, loudly, and counts routed requests from then on, without counting any twice', async () => {
      const warnings: string[] = [];
      vi.spyOn(process, 'emitWarning').mockImplementation(((message: string) => {
        warnings.push(message);
      }) as never);
      const registry = new Registry({ storage: false });
      const app = new (Framework as typeof Koa)();
      app.silent = true;
      const router = new Router();
      router.get('/users/:id', (ctx) => {
        ctx.body = 'ok';
      });
      router.get('/next/:id', async (_ctx, next) => next());
      app.use(router.routes() as never);
      app.use(mmstats({ registry, processMetrics: false }));
      running = await listenOnLoopback(app as never);
      const url = baseUrl(running.server);
      await get(`${url}/users/0`); // before any request reached the middleware: missed
      await get(`${url}/nope`);
      for (let i = 1; i <= 3; i++) await get(`${url}/users/${i}`);
      await get(`${url}/next/1`); // routed, then passed on to the middleware: counted once
      await get(`${url}/nope`);
      await vi.waitFor(async () => {
        const text = await registry.metrics();
        expect(sampleValue(text, 'http_requests_total', { route: '/users/:id' })).toBe(3);
        expect(sampleValue(text, 'http_requests_total', { route: '/next/:id' })).toBe(1);
        expect(sampleValue(text, 'http_requests_total', { route: '__unmatched__' })).toBe(2);
      });
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/registered after router\.routes\(\).*app\.use\(mmstats\(\)\) before/);
    });

    it('registered first, warns nothing and takes the route option over the template', async () => {
      const warn = vi.spyOn(process, 'emitWarning');
      const registry = new Registry({ storage: false });
      const app = new (Framework as typeof Koa)();
      app.use(
        mmstats({
          registry,
          processMetrics: false,
          route: (ctx) => (ctx.path.startsWith('/files/') ? '/files/*' : undefined),
        }),
      );
      const router = new Router();
      router.get('/files/:a/:b', (ctx) => {
        ctx.body = 'ok';
      });
      router.get('/users/:id', (ctx) => {
        ctx.body = 'ok';
      });
      app.use(router.routes() as never);
      running = await listenOnLoopback(app as never);
      const url = baseUrl(running.server);
      await get(`${url}/files/x/y`);
      await get(`${url}/users/1`);
      await vi.waitFor(async () => {
        const text = await registry.metrics();
        expect(sampleValue(text, 'http_requests_total', { route: '/files/*' })).toBe(1);
        expect(sampleValue(text, 'http_requests_total', { route: '/users/:id' })).toBe(1);
      });
      expect(warn).not.toHaveBeenCalled();
    });
  });
}
