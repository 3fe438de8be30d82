import type { ConformanceRoutes } from '@mmstats/test-utils';
import { baseUrl, listenOnLoopback, slowStream } from '@mmstats/test-utils';
import type express from 'express';
import { mmstats } from '../dist/index.js';

type ExpressModule = typeof express;

/** The conformance application: the adapter first, then routes, a two-level nested router. */
export function buildApp(
  framework: ExpressModule,
  options: Record<string, unknown> | undefined,
  routes: ConformanceRoutes,
): express.Express {
  const app = framework();
  app.set('env', 'test'); // the default error handler would print every thrown error
  app.use(mmstats(options));
  app.get('/users/:id', (req, res) => {
    res.json({ id: req.params.id });
  });
  app.post('/users/:id', (req, res) => {
    res.status(201).json({ id: req.params.id });
  });
  app.get('/redirect', (_req, res) => res.redirect(302, '/users/1'));
  app.get('/boom', () => {
    throw new Error('boom');
  });
  app.get('/slow', (_req, res) => {
    void routes.slow().then(() => res.json({ slow: true }));
  });
  app.get('/stream', (_req, res) => {
    res.type('text/plain');
    slowStream().pipe(res);
  });
  const v1 = framework.Router();
  v1.get('/items/:itemId', (req, res) => {
    res.json({ itemId: req.params.itemId });
  });
  v1.get('/items/:itemId/fail', () => {
    throw new Error('nested boom');
  });
  const api = framework.Router();
  api.use('/v1', v1);
  app.use('/api', api);
  return app;
}

/** `app` listening on 127.0.0.1: its base URL, and a close that drops kept-alive connections too. */
export async function serve(app: Parameters<typeof listenOnLoopback>[0]) {
  const running = await listenOnLoopback(app);
  return { url: baseUrl(running.server), close: () => running.close() };
}
