import { Registry } from '@mmstats/core';
import { get, sampleValue } from '@mmstats/test-utils';
import express5, { type Request } from 'express';
import express4 from 'express4';
import { describe, expect, it, vi } from 'vitest';
import { mmstats } from '../dist/index.js';
import { serve } from './app.js';

/** Express-specific route handling: what the shared conformance suite cannot express. */
for (const [name, express] of [
  ['Express 5', express5],
  ['Express 4', express4],
] as const) {
  describe(`route templates on ${name}`, () => {
    it('keeps req.route answering during and after the response, also on a reused connection', async () => {
      const registry = new Registry({ storage: false });
      const app = express();
      app.use(mmstats({ registry, processMetrics: false }));
      const seen: Array<[string, unknown]> = [];
      const late: Request[] = [];
      app.get('/users/:id', (req, res) => {
        seen.push(['handler', req.route?.path]);
        res.on('finish', () => seen.push(['finish', req.route?.path]));
        late.push(req);
        res.json({});
      });
      const { url, close } = await serve(app);
      try {
        await get(`${url}/users/1`);
        await get(`${url}/users/2`); // same keep-alive connection: the slot now serves another request
        await vi.waitFor(async () =>
          expect(sampleValue(await registry.metrics(), 'http_requests_total', { route: '/users/:id' })).toBe(
            2,
          ),
        );
        expect(seen).toEqual([
          ['handler', '/users/:id'],
          ['finish', '/users/:id'],
          ['handler', '/users/:id'],
          ['finish', '/users/:id'],
        ]);
        expect(late.map((req) => req.route?.path)).toEqual(['/users/:id', '/users/:id']);
      } finally {
        close();
      }
    });

    it('labels a route of a mounted sub-app with its mount path', async () => {
      const registry = new Registry({ storage: false });
      const app = express();
      app.use(mmstats({ registry, processMetrics: false }));
      const sub = express();
      sub.get('/things/:id', (_req, res) => {
        res.json({});
      });
      app.use('/sub', sub);
      const { url, close } = await serve(app);
      try {
        expect((await get(`${url}/sub/things/9`)).status).toBe(200);
        await vi.waitFor(async () =>
          expect(
            sampleValue(await registry.metrics(), 'http_requests_total', { route: '/sub/things/:id' }),
          ).toBe(1),
        );
      } finally {
        close();
      }
    });

    it('labels the route that answered when an earlier matching route passed the request on', async () => {
      const registry = new Registry({ storage: false });
      const app = express();
      app.use(mmstats({ registry, processMetrics: false }));
      const inner = express.Router();
      inner.get('/items/:itemId', (_req, _res, next) => next());
      app.use('/api', inner);
      app.get('/api/items/:id', (_req, res) => {
        res.json({});
      });
      const { url, close } = await serve(app);
      try {
        expect((await get(`${url}/api/items/3`)).status).toBe(200);
        await vi.waitFor(async () =>
          expect(
            sampleValue(await registry.metrics(), 'http_requests_total', { route: '/api/items/:id' }),
          ).toBe(1),
        );
      } finally {
        close();
      }
    });

    it('keeps the mount prefixes of routes that throw or reject deep in routers and sub-apps', async () => {
      const registry = new Registry({ storage: false });
      const app = express();
      app.set('env', 'test');
      app.use(mmstats({ registry, processMetrics: false }));
      const inner = express.Router();
      inner.get('/', () => {
        throw new Error('root');
      });
      inner.get('/x/:id/', (_req, _res, next) => {
        setImmediate(() => next(new Error('later')));
      });
      const outer = express.Router();
      outer.use('/in', inner);
      app.use('/t/:tenant', outer);
      const sub = express();
      sub.set('env', 'test');
      sub.get('/things/:id', () => {
        throw new Error('sub');
      });
      app.use('/sub', sub);
      const { url, close } = await serve(app);
      try {
        expect((await get(`${url}/t/acme/in`)).status).toBe(500);
        expect((await get(`${url}/t/acme/in/x/1/?q=/a/b`)).status).toBe(500);
        expect((await get(`${url}/t/acme/in/x/2?q=/a/b`)).status).toBe(500);
        expect((await get(`${url}/sub/things/9`)).status).toBe(500);
        await vi.waitFor(async () => {
          const text = await registry.metrics();
          // The mount parameter stays a template (mount-template.ts), on the error path too.
          expect(sampleValue(text, 'http_requests_total', { route: '/t/:tenant/in/' })).toBe(1);
          expect(sampleValue(text, 'http_requests_total', { route: '/t/:tenant/in/x/:id/' })).toBe(2);
          expect(sampleValue(text, 'http_requests_total', { route: '/sub/things/:id' })).toBe(1);
        });
      } finally {
        close();
      }
    });
  });
}
