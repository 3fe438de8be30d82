import { setTimeout as sleep } from 'node:timers/promises';
import { type ExpressMetricsOptions, mmstats } from '@mmstats/express';
import express, { type Express } from 'express';

const MAX_MS = 10_000;

/** `?ms=` of /slow and /busy: whole milliseconds from 0 to 10 s; `fallback` when absent or not a number. */
function millis(value: unknown, fallback: number): number {
  const ms = typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  return Number.isFinite(ms) ? Math.min(MAX_MS, Math.max(0, Math.round(ms))) : fallback;
}

/** Keeps the event loop busy for `ms`: nothing else runs in this process meanwhile, scrapes included. */
function blockFor(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

/** The example application; `options` go to the metrics middleware (tests pass `storage: false`). */
export function createApp(options?: ExpressMetricsOptions): Express {
  const app = express();
  app.use(mmstats(options)); // first, so that it sees every request; serves GET /metrics
  app.get('/users/:id', (req, res) => {
    res.json({ id: req.params.id, name: `User ${req.params.id}` });
  });
  app.get('/redirect', (_req, res) => res.redirect(302, '/users/1'));
  app.get('/boom', () => {
    throw new Error('boom'); // Express answers 500; counted under route "/boom", status "5XX"
  });
  app.get('/slow', async (req, res) => {
    const ms = millis(req.query.ms, 200); // answers after `ms` (default 200), without blocking
    await sleep(ms);
    res.json({ ms });
  });
  app.get('/busy', (req, res) => {
    const ms = millis(req.query.ms, 100); // blocks the event loop for `ms` (default 100), then answers
    blockFor(ms);
    res.json({ ms });
  });
  const items = express.Router();
  items.get('/items/:itemId', (req, res) => {
    res.json({ itemId: req.params.itemId });
  });
  const api = express.Router();
  api.use('/v1', items);
  app.use('/api', api); // counted as route "/api/v1/items/:itemId"
  return app; // unknown paths: Express's own 404, counted under route "__unmatched__"
}
