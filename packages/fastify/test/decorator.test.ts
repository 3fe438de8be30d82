import { Registry } from '@mmstats/core';
import { sampleValue } from '@mmstats/test-utils';
import fastify5 from 'fastify';
import fastify4 from 'fastify4';
import { describe, expect, it } from 'vitest';
import mmstats from '../dist/index.js';

for (const [name, framework] of [
  ['Fastify 5', fastify5],
  ['Fastify 4', fastify4],
] as const) {
  describe(`${name}: what fastify-metrics users expect`, () => {
    it('decorates the instance with fastify.metrics.registry, the registry it records into', async () => {
      const registry = new Registry({ storage: false });
      const app = (framework as typeof fastify5)({ logger: false });
      await app.register(mmstats, { registry, processMetrics: false });
      await app.ready();
      try {
        expect(app.metrics.registry).toBe(registry);
      } finally {
        await app.close();
      }
    });

    it('leaves routes with config { metrics: false } or { disableMetrics: true } uncounted', async () => {
      const app = (framework as typeof fastify5)({ logger: false });
      await app.register(mmstats, { storage: false, processMetrics: false });
      app.get('/health', { config: { metrics: false } }, async () => 'ok');
      app.get('/ready', { config: { disableMetrics: true } }, async () => 'ok');
      app.get('/users/:id', async () => ({}));
      await app.ready();
      try {
        await app.inject('/health');
        await app.inject('/ready');
        await app.inject('/users/1');
        const text = await app.metrics.registry.metrics();
        expect(sampleValue(text, 'http_requests_total', { route: '/users/:id' })).toBe(1);
        expect(sampleValue(text, 'http_requests_total', { route: '/health' })).toBeUndefined();
        expect(sampleValue(text, 'http_requests_total', { route: '/ready' })).toBeUndefined();
      } finally {
        await app.close();
      }
    });

    it('takes the route option over the template', async () => {
      const app = (framework as typeof fastify5)({ logger: false });
      await app.register(mmstats, {
        storage: false,
        processMetrics: false,
        route: (request) => (request.url.startsWith('/v1/') ? '/v1/*' : undefined),
      });
      app.get('/v1/a/:id', async () => ({}));
      app.get('/users/:id', async () => ({}));
      await app.ready();
      try {
        await app.inject('/v1/a/1');
        await app.inject('/users/2');
        const text = await app.metrics.registry.metrics();
        expect(sampleValue(text, 'http_requests_total', { route: '/v1/*' })).toBe(1);
        expect(sampleValue(text, 'http_requests_total', { route: '/users/:id' })).toBe(1);
      } finally {
        await app.close();
      }
    });
  });
}
