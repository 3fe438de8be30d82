import type request from 'supertest';
import { expect, vi } from 'vitest';

/**
 * What every example app promises (issue 4): its routes answer as specified and `/metrics`
 * counts each by route template and status class, with the default process metrics.
 */
export async function checkExampleRoutes(agent: ReturnType<typeof request>): Promise<void> {
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
}
