import { Registry } from '@mmstats/core';
import { get } from '@mmstats/test-utils';
import express5, { type Request } from 'express';
import express4 from 'express4';
import { describe, expect, it, vi } from 'vitest';
import { mmstats } from '../dist/index.js';
import { serve } from './app.js';

/** `route` label values of http_requests_total, with their counts. */
function routes(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^http_requests_total\{[^}]*route="([^"]*)"[^}]*\} (\S+)$/gm))
    out[m[1]!] = (out[m[1]!] ?? 0) + Number(m[2]);
  return out;
}

for (const [name, express] of [
  ['Express 5', express5],
  ['Express 4', express4],
] as const) {
  describe(`mount parameters on ${name}`, () => {
    it('keeps the template of a mount path with parameters: /t/:tenant/orders/:orderId, not the tenant', async () => {
      const registry = new Registry({ storage: false });
      const app = express();
      app.use(mmstats({ registry, processMetrics: false }));
      const orders = express.Router();
      orders.get('/orders/:orderId', (_req, res) => {
        res.json({});
      });
      const versions = express.Router();
      versions.get('/items', (_req, res) => {
        res.json({});
      });
      orders.use('/v/:version', versions);
      app.use('/t/:tenant', orders);
      app.use('/static', orders);
      const { url, close } = await serve(app);
      try {
        for (const path of [
          '/t/acme/orders/1',
          '/t/globex/orders/2',
          '/t/acme/v/3/items',
          '/static/orders/7',
        ])
          expect((await get(`${url}${path}`)).status).toBe(200);
        await vi.waitFor(async () =>
          expect(routes(await registry.metrics())).toEqual({
            '/t/:tenant/orders/:orderId': 2,
            '/t/:tenant/v/:version/items': 1,
            '/static/orders/:orderId': 1,
          }),
        );
      } finally {
        close();
      }
    });

    it('keeps the template when a route under a parameter mount throws', async () => {
      const registry = new Registry({ storage: false });
      const app = express();
      app.set('env', 'test');
      app.use(mmstats({ registry, processMetrics: false }));
      const orders = express.Router();
      orders.get('/orders/:orderId', () => {
        throw new Error('boom');
      });
      app.use('/t/:tenant', orders);
      app.use((_error: unknown, _req: Request, res: express5.Response, _next: express5.NextFunction) => {
        res.status(500).end();
      });
      const { url, close } = await serve(app);
      try {
        expect((await get(`${url}/t/acme/orders/1`)).status).toBe(500);
        await vi.waitFor(async () =>
          expect(routes(await registry.metrics())).toEqual({ '/t/:tenant/orders/:orderId': 1 }),
        );
      } finally {
        close();
      }
    });

    it('keeps the templates of sub-apps mounted with parameters, on an app and in a router', async () => {
      const registry = new Registry({ storage: false });
      const app = express();
      app.use(mmstats({ registry, processMetrics: false }));
      const shop = express();
      shop.get('/items/:id', (_req, res) => {
        res.json({});
      });
      const inner = express();
      inner.get('/x', (_req, res) => {
        res.json({});
      });
      shop.use('/d/:dept', inner);
      const regions = express.Router();
      regions.use('/s/:shop', shop);
      app.use('/t/:tenant', shop);
      app.use('/r/:region', regions);
      const { url, close } = await serve(app as unknown as express5.Express);
      try {
        for (const path of ['/t/acme/items/1', '/t/globex/items/2', '/t/acme/d/toys/x', '/r/eu/s/a/items/3'])
          expect((await get(`${url}${path}`)).status).toBe(200);
        await vi.waitFor(async () =>
          expect(routes(await registry.metrics())).toEqual({
            '/t/:tenant/items/:id': 2,
            '/t/:tenant/d/:dept/x': 1,
            '/r/:region/s/:shop/items/:id': 1,
          }),
        );
      } finally {
        close();
      }
    });

    it('keeps the template when a route of a sub-app mounted with parameters only ever throws', async () => {
      const registry = new Registry({ storage: false });
      const app = express();
      app.set('env', 'test');
      app.use(mmstats({ registry, processMetrics: false }));
      const shop = express();
      shop.set('env', 'test');
      shop.get('/orders/:orderId', () => {
        throw new Error('boom');
      });
      app.use('/t/:tenant', shop);
      app.use((_error: unknown, _req: Request, res: express5.Response, _next: express5.NextFunction) => {
        res.status(500).end();
      });
      const { url, close } = await serve(app as unknown as express5.Express);
      try {
        for (const path of ['/t/acme/orders/1', '/t/globex/orders/2'])
          expect((await get(`${url}${path}`)).status).toBe(500);
        await vi.waitFor(async () =>
          expect(routes(await registry.metrics())).toEqual({ '/t/:tenant/orders/:orderId': 2 }),
        );
      } finally {
        close();
      }
    });

    it('takes the route option over the template, and the template when it answers undefined', async () => {
      const registry = new Registry({ storage: false });
      const app = express();
      app.use(
        mmstats({
          registry,
          processMetrics: false,
          route: (req) => (req.path.startsWith('/legacy') ? '/legacy/*' : undefined),
        }),
      );
      app.get('/legacy/:a/:b', (_req, res) => {
        res.json({});
      });
      app.get('/users/:id', (_req, res) => {
        res.json({});
      });
      const { url, close } = await serve(app);
      try {
        await get(`${url}/legacy/1/2`);
        await get(`${url}/users/1`);
        await get(`${url}/legacy-nothing`);
        await vi.waitFor(async () =>
          expect(routes(await registry.metrics())).toEqual({ '/legacy/*': 2, '/users/:id': 1 }),
        );
      } finally {
        close();
      }
    });
  });
}
