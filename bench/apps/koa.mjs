/** Koa 3 with @koa/router for bench/http.mjs: `node bench/apps/koa.mjs <variant>`. */
import { createServer } from 'node:http';
import Router from '@koa/router';
import Koa from 'koa';
import {
  importProbe,
  ourOptions,
  served,
  serveHttp,
  unknownVariant,
  variant,
} from '../lib/server-harness.mjs';

/**
 * What Koa users write with prom-client today (the npm Koa exporters are dormant): a histogram and
 * a counter labelled by method, matched route and status code, recorded after `await next()`.
 */
async function promClientMiddleware() {
  const client = await import('prom-client');
  const registry = new client.Registry();
  const labelNames = ['method', 'route', 'status'];
  const registers = [registry];
  const duration = new client.Histogram({
    name: 'http_request_duration_seconds',
    help: 'Duration of HTTP requests in seconds',
    labelNames,
    registers,
  });
  const total = new client.Counter({
    name: 'http_requests_total',
    help: 'HTTP requests',
    labelNames,
    registers,
  });
  return async (ctx, next) => {
    if (ctx.path === '/metrics') {
      ctx.type = registry.contentType;
      ctx.body = await registry.metrics();
      return;
    }
    const end = duration.startTimer();
    try {
      await next();
    } finally {
      const labels = { method: ctx.method, route: ctx._matchedRoute ?? '__unmatched__', status: ctx.status };
      end(labels);
      total.inc(labels);
    }
  };
}

async function addMetrics(app) {
  if (variant === 'bare') return;
  const options = await ourOptions();
  if (options !== null) {
    const { mmstats } = await import('@mmstats/koa');
    app.use(mmstats(options));
    return;
  }
  if (variant === 'alternative') {
    app.use(await promClientMiddleware());
    return;
  }
  // Probes for what merely having the adapter in the process costs (bench/README.md): the adapter
  // imported and a middleware created but never installed, or only a library imported.
  if (variant === 'probe-idle' || variant === 'probe-idle-memory') {
    const { mmstats } = await import('@mmstats/koa');
    const storage = variant === 'probe-idle-memory' ? { storage: false } : {};
    globalThis.unusedMiddleware = mmstats({ processMetrics: false, ...storage });
    return;
  }
  // What any middleware costs Koa (bench/README.md): one that only calls next().
  if (variant === 'probe-noop') {
    app.use((_ctx, next) => next());
    return;
  }
  if (await importProbe()) return;
  throw unknownVariant('koa');
}

const app = new Koa();
await addMetrics(app);
const router = new Router();
router.get('/users/:id', (ctx) => {
  served.count++;
  ctx.body = { id: ctx.params.id };
});
app.use(router.routes());
serveHttp(createServer(app.callback()));
