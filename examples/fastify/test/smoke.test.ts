import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
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

  it('serves the example routes and counts them by route template', async () => {
    await agent.get('/users/7').expect(200, { id: '7', name: 'User 7' });
    await agent.get('/redirect').expect(302).expect('location', '/users/1');
    await agent.get('/boom').expect(500);
    await agent.get('/api/v1/items/3').expect(200, { itemId: '3' });
    await agent.get('/no/such/path').expect(404);
    await vi.waitFor(async () => {
      const metrics = await agent
        .get('/metrics')
        .expect(200)
        .expect('content-type', /^text\/plain; version=0\.0\.4/);
      for (const line of [
        'http_requests_total{method="GET",route="/users/:id",status="2XX"} 1',
        'http_requests_total{method="GET",route="/redirect",status="3XX"} 1',
        'http_requests_total{method="GET",route="/boom",status="5XX"} 1',
        'http_requests_total{method="GET",route="/api/v1/items/:itemId",status="2XX"} 1',
        'http_requests_total{method="GET",route="__unmatched__",status="4XX"} 1',
      ]) {
        expect(metrics.text).toContain(`${line}\n`);
      }
      expect(metrics.text).toContain('process_cpu_seconds_total');
    });
  });
});
