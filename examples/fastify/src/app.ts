import { setTimeout as sleep } from 'node:timers/promises';
import mmstats, { type FastifyMetricsOptions } from '@mmstats/fastify';
import Fastify, { type FastifyInstance } from 'fastify';

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

/** The example application; `options` go to the metrics plugin (tests pass `storage: false`). */
export function createApp(options: FastifyMetricsOptions = {}): FastifyInstance {
  const app = Fastify({ logger: false });
  app.register(mmstats, options); // covers the whole app (fastify-plugin); serves GET /metrics
  app.get<{ Params: { id: string } }>('/users/:id', async (request) => ({
    id: request.params.id,
    name: `User ${request.params.id}`,
  }));
  app.get('/redirect', async (_request, reply) => reply.code(302).header('location', '/users/1').send());
  app.get('/boom', async () => {
    throw new Error('boom'); // Fastify answers 500; counted under route "/boom", status "5XX"
  });
  app.get<{ Querystring: { ms?: string } }>('/slow', async (request) => {
    const ms = millis(request.query.ms, 200); // answers after `ms` (default 200), without blocking
    await sleep(ms);
    return { ms };
  });
  app.get<{ Querystring: { ms?: string } }>('/busy', async (request) => {
    const ms = millis(request.query.ms, 100); // blocks the event loop for `ms` (default 100), then answers
    blockFor(ms);
    return { ms };
  });
  app.register(
    async (api) => {
      api.register(
        async (v1) => {
          v1.get<{ Params: { itemId: string } }>('/items/:itemId', async (request) => ({
            itemId: request.params.itemId,
          }));
        },
        { prefix: '/v1' },
      );
    },
    { prefix: '/api' },
  ); // counted as route "/api/v1/items/:itemId"
  return app; // unknown paths: Fastify's own 404, counted under route "__unmatched__"
}
