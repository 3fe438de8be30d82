import { sampleValue } from '@mmstats/test-utils';
import fastify5 from 'fastify';
import fastify4 from 'fastify4';
import { describe, expect, it } from 'vitest';
import mmstats from '../dist/index.js';

// fastify.inject() (light-my-request) is how Fastify apps are usually tested: its requests never
// pass through a node:http server, so the adapter must see them end some other way.
for (const [name, framework] of [
  ['Fastify 5', fastify5],
  ['Fastify 4', fastify4],
] as const) {
  describe(`${name}: requests made with inject()`, () => {
    it('are counted by route and status class, and none stays in flight', async () => {
      const app = (framework as typeof fastify5)({ logger: false });
      await app.register(mmstats, { storage: false, processMetrics: false });
      app.get<{ Params: { id: string } }>('/users/:id', async (request) => ({ id: request.params.id }));
      app.get('/boom', async () => {
        throw new Error('boom');
      });
      await app.ready();
      try {
        for (let i = 0; i < 5; i++) expect((await app.inject(`/users/${i}`)).statusCode).toBe(200);
        expect((await app.inject('/boom')).statusCode).toBe(500);
        expect((await app.inject('/nope')).statusCode).toBe(404);
        expect((await app.inject({ method: 'POST', url: '/users/1' })).statusCode).toBe(404);
        await app.inject('/metrics'); // a scrape before the one read: it must not be counted
        const text = (await app.inject('/metrics')).body;
        const count = (labels: Record<string, string>) => sampleValue(text, 'http_requests_total', labels);
        expect(count({ method: 'GET', route: '/users/:id', status: '2XX' })).toBe(5);
        expect(count({ method: 'GET', route: '/boom', status: '5XX' })).toBe(1);
        expect(count({ method: 'GET', route: '__unmatched__', status: '4XX' })).toBe(1);
        expect(count({ method: 'POST', route: '__unmatched__', status: '4XX' })).toBe(1);
        expect(count({ route: '/metrics' })).toBeUndefined();
        expect(
          sampleValue(text, 'http_request_duration_seconds_count', {
            method: 'GET',
            route: '/users/:id',
            status: '2XX',
          }),
        ).toBe(5);
        expect(sampleValue(text, 'http_requests_in_flight')).toBe(0);
      } finally {
        await app.close();
      }
    });
  });
}
