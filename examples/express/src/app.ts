import { type ExpressMetricsOptions, mmstats } from '@mmstats/express';
import express, { type Express } from 'express';

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
  const items = express.Router();
  items.get('/items/:itemId', (req, res) => {
    res.json({ itemId: req.params.itemId });
  });
  const api = express.Router();
  api.use('/v1', items);
  app.use('/api', api); // counted as route "/api/v1/items/:itemId"
  return app; // unknown paths: Express's own 404, counted under route "__unmatched__"
}
