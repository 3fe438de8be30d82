import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { Registry } from '@mmstats/core';
import { get, sampleValue } from '@mmstats/test-utils';
import express5, { type NextFunction, type Request, type Response } from 'express';
import express4 from 'express4';
import { afterEach, describe, expect, it } from 'vitest';
import { mmstats } from '../dist/index.js';

/**
 * After its first request the middleware accounts from a wrapper of the app's `handle` and keeps
 * only a layer for the metrics path (see moveIntoApp): what users rely on must not change.
 */
for (const [name, express] of [
  ['Express 5', express5],
  ['Express 4', express4],
] as const) {
  describe(`the accounting moved out of the router, on ${name}`, () => {
    const closers: (() => void)[] = [];
    afterEach(() => {
      for (const close of closers.splice(0)) close();
    });

    async function serve(app: express5.Express): Promise<string> {
      const server = app.listen(0, '127.0.0.1');
      await once(server, 'listening');
      closers.push(() => {
        server.closeAllConnections();
        server.close();
      });
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    }

    const requests = 'http_requests_total';
    const stackOf = (app: express5.Express): unknown[] => {
      const router = (app as unknown as { _router?: { stack: unknown[] } })._router ?? app.router;
      return (router as unknown as { stack: { handle: unknown }[] }).stack.map((layer) => layer.handle);
    };

    it('leaves the router one layer that only the metrics path reaches, and counts every request once', async () => {
      const registry = new Registry({ storage: false });
      const app = express();
      const middleware = mmstats({ registry, processMetrics: false });
      app.use(middleware);
      app.get('/users/:id', (_req, res) => {
        res.json({});
      });
      const url = await serve(app);
      expect(stackOf(app)).toContain(middleware);
      for (let i = 0; i < 5; i++) expect((await get(`${url}/users/${i}`)).status).toBe(200);
      expect(stackOf(app)).not.toContain(middleware);
      expect((await get(`${url}/nope`)).status).toBe(404);
      const text = (await get(`${url}/metrics`)).body;
      expect(sampleValue(text, requests, { route: '/users/:id', status: '2XX' })).toBe(5);
      expect(sampleValue(text, requests, { route: '__unmatched__', status: '4XX' })).toBe(1);
      expect(text).not.toContain('route="/metrics"');
      // `/metrics/` and `/metrics/x` are not the endpoint: they go on to the app, and are counted.
      expect((await get(`${url}/metrics/x`)).status).toBe(404);
      const after = (await get(`${url}/metrics?x=1`)).body;
      expect(sampleValue(after, requests, { route: '__unmatched__', status: '4XX' })).toBe(2);
    });

    it('keeps /metrics behind a middleware the app registered before it', async () => {
      const registry = new Registry({ storage: false });
      const app = express();
      app.use((req: Request, res: Response, next: NextFunction) => {
        if (req.path === '/metrics' && req.headers.authorization !== 'Bearer s3cret') {
          res.status(401).send('no');
          return;
        }
        next();
      });
      app.use(mmstats({ registry, processMetrics: false }));
      app.get('/a', (_req, res) => {
        res.send('a');
      });
      const url = await serve(app);
      for (let i = 0; i < 3; i++) await get(`${url}/a`);
      expect((await get(`${url}/metrics`)).status).toBe(401);
      const ok = await get(`${url}/metrics`, { authorization: 'Bearer s3cret' });
      expect(ok.status).toBe(200);
      expect(sampleValue(ok.body, requests, { route: '/a' })).toBe(3);
    });

    it('serves the endpoint of a sub-app once it moved into the sub-app', async () => {
      const registry = new Registry({ storage: false });
      const app = express();
      const sub = express();
      const middleware = mmstats({ registry, processMetrics: false });
      sub.use(middleware);
      sub.get('/d', (_req, res) => {
        res.send('d');
      });
      app.use('/sub', sub);
      const url = await serve(app);
      for (let i = 0; i < 3; i++) expect((await get(`${url}/sub/d`)).status).toBe(200);
      expect(stackOf(sub)).not.toContain(middleware);
      const scrape = await get(`${url}/sub/metrics?x=1`);
      expect(scrape.status).toBe(200);
      expect(sampleValue(scrape.body, requests, { route: '/sub/d' })).toBe(3);
      expect((await get(`${url}/sub/metrics/`)).status).toBe(404);
    });

    it('stays a plain middleware when mounted under a path or given an exclude predicate', async () => {
      const registry = new Registry({ storage: false });
      const app = express();
      const mounted = mmstats({ registry, processMetrics: false, path: '/stats' });
      app.use('/api', mounted);
      app.get('/api/b', (_req, res) => {
        res.send('b');
      });
      const other = express();
      const seenPaths: string[] = [];
      const predicate = mmstats({
        registry: new Registry({ storage: false }),
        processMetrics: false,
        exclude: (req: Request) => {
          seenPaths.push(req.path);
          return req.path === '/skip';
        },
      });
      other.use(predicate);
      other.get('/c', (_req, res) => {
        res.send('c');
      });
      const url = await serve(app);
      const otherUrl = await serve(other);
      for (let i = 0; i < 3; i++) {
        await get(`${url}/api/b`);
        await get(`${otherUrl}/c`);
        await get(`${otherUrl}/skip`);
      }
      expect(stackOf(app).some((h) => h === mounted)).toBe(true);
      expect(stackOf(other)).toContain(predicate);
      expect(seenPaths).toContain('/c');
      const text = (await get(`${url}/api/stats`)).body;
      expect(sampleValue(text, requests, { route: '/api/b' })).toBe(3);
    });
  });
}
