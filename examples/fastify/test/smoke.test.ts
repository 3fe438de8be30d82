import type { AddressInfo } from 'node:net';
import { checkExampleRoutes } from '@mmstats/test-utils';
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { createApp } from '../src/app.js';

describe('example-fastify', () => {
  let app: FastifyInstance;
  let agent: ReturnType<typeof request>;

  beforeAll(async () => {
    app = createApp({ storage: false });
    await app.listen({ port: 0, host: '127.0.0.1' });
    agent = request(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`);
  });

  afterAll(async () => {
    app.server.closeAllConnections();
    await app.close();
  });

  it('serves the example routes and counts them by route template', () => checkExampleRoutes(agent));
});
