import type request from 'supertest';
import { expect, vi } from 'vitest';

/**
 * Runs `during` while a 5 ms interval ticks in this process, and resolves with how long it took
 * and the longest time the event loop went without running the interval (ms).
 */
async function timed(during: () => Promise<unknown>): Promise<{ took: number; longestStall: number }> {
  const start = performance.now();
  let last = start;
  let longestStall = 0;
  const tick = () => {
    const now = performance.now();
    longestStall = Math.max(longestStall, now - last);
    last = now;
  };
  const interval = setInterval(tick, 5);
  try {
    await during();
  } finally {
    clearInterval(interval);
  }
  tick();
  return { took: performance.now() - start, longestStall };
}

/**
 * What every example app promises (issue 4): its routes answer as specified and `/metrics`
 * counts each by route template and status class, with the default process metrics. The app
 * must run in this process (as in the examples' smoke tests), so that a timer here shows whether
 * `/busy` blocked its event loop and `/slow` did not.
 */
export async function checkExampleRoutes(agent: ReturnType<typeof request>): Promise<void> {
  await agent.get('/users/7').expect(200, { id: '7', name: 'User 7' });
  await agent.get('/redirect').expect(302).expect('location', '/users/1');
  await agent.get('/boom').expect(500);
  await agent.get('/api/v1/items/3').expect(200, { itemId: '3' });
  await agent.get('/no/such/path').expect(404);
  // /slow?ms=N answers after N ms without blocking; /busy?ms=N blocks the event loop for N ms.
  const slow = await timed(() => agent.get('/slow?ms=400').expect(200, { ms: 400 }));
  expect(slow.took).toBeGreaterThanOrEqual(400);
  expect(slow.longestStall).toBeLessThan(400);
  const busy = await timed(() => agent.get('/busy?ms=400').expect(200, { ms: 400 }));
  expect(busy.took).toBeGreaterThanOrEqual(400);
  expect(busy.longestStall).toBeGreaterThanOrEqual(400);
  // Defaults (200 and 100 ms) when ms is absent or not a number, 0 below 0.
  await agent.get('/slow').expect(200, { ms: 200 });
  await agent.get('/busy?ms=soon').expect(200, { ms: 100 });
  await agent.get('/slow?ms=-5').expect(200, { ms: 0 });
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
      'http_requests_total{method="GET",route="/slow",status="2XX"} 3',
      'http_requests_total{method="GET",route="/busy",status="2XX"} 2',
      'http_requests_total{method="GET",route="__unmatched__",status="4XX"} 1',
    ]) {
      expect(metrics.text).toContain(`${line}\n`);
    }
    expect(metrics.text).toContain('process_cpu_seconds_total');
  });
}
