import mmstats, { type FastifyMetricsOptions } from '@mmstats/fastify';
import Fastify, { type FastifyInstance } from 'fastify';

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
