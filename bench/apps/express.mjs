/** Express 5 for bench/http.mjs: `node bench/apps/express.mjs <variant>`. */
import { createServer } from 'node:http';
import express from 'express';
import {
  importProbe,
  ourOptions,
  served,
  serveHttp,
  unknownVariant,
  variant,
} from '../lib/server-harness.mjs';

async function addMetrics(app) {
  if (variant === 'bare') return;
  const options = await ourOptions();
  if (options !== null) {
    const { mmstats } = await import('@mmstats/express');
    // File storage is the default (under $MMSTATS_PATH, which the bench points at a temp dir).
    app.use(mmstats(options));
    return;
  }
  if (variant === 'alternative') {
    const { default: promBundle } = await import('express-prom-bundle');
    // As its README and most users run it: method and path labels, normalizePath's defaults.
    app.use(promBundle({ includeMethod: true, includePath: true }));
    return;
  }
  if (await importProbe()) return;
  throw unknownVariant('express');
}

const app = express();
await addMetrics(app);
app.get('/users/:id', (req, res) => {
  served.count++;
  res.json({ id: req.params.id });
});
serveHttp(createServer(app));
