import type { ConformanceRoutes, RunningApp } from '@mmstats/test-utils';
import { slowStream } from '@mmstats/test-utils';
import type Fastify from 'fastify';
import mmstats, { type FastifyMetricsOptions } from '../dist/index.js';

type FastifyFactory = typeof Fastify;

/** The conformance application: the plugin first, then routes, nested /api and /v1 prefixes. */
export async function startApp(
  framework: FastifyFactory,
  options: Record<string, unknown> | undefined,
  routes: ConformanceRoutes,
): Promise<RunningApp> {
  const app = framework({ logger: false });
  await app.register(mmstats, (options ?? {}) as FastifyMetricsOptions);
  app.get<{ Params: { id: string } }>('/users/:id', async (request) => ({ id: request.params.id }));
  app.post<{ Params: { id: string } }>('/users/:id', async (request, reply) =>
    reply.code(201).send({ id: request.params.id }),
  );
  app.get('/redirect', async (_request, reply) => reply.code(302).header('location', '/users/1').send());
  app.get('/boom', async () => {
    throw new Error('boom');
  });
  app.get('/slow', async () => {
    await routes.slow();
    return { slow: true };
  });
  app.get('/stream', async (_request, reply) => reply.type('text/plain').send(slowStream()));
  await app.register(
    async (api) => {
      await api.register(
        async (v1) => {
          v1.get<{ Params: { itemId: string } }>('/items/:itemId', async (request) => ({
            itemId: request.params.itemId,
          }));
          v1.get('/items/:itemId/fail', async () => {
            throw new Error('nested boom');
          });
        },
        { prefix: '/v1' },
      );
    },
    { prefix: '/api' },
  );
  await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    server: app.server,
    close: async () => {
      app.server.closeAllConnections();
      await app.close();
    },
  };
}
