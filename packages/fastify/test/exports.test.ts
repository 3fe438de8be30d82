import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { describeAdapterExports } from '@mmstats/test-utils';
import { describe, expect, it, vi } from 'vitest';

const built = describeAdapterExports('@mmstats/fastify', import.meta.url);

describe('@mmstats/fastify from CommonJS', () => {
  it('registers as CommonJS users write it: app.register(require("@mmstats/fastify"))', async () => {
    const require = createRequire(import.meta.url);
    const plugin = require(built('index.cjs')) as typeof import('../dist/index.js');
    const { Registry } = require('@mmstats/core') as typeof import('@mmstats/core');
    const Fastify = require('fastify') as typeof import('fastify');
    const app = Fastify();
    await app.register(plugin as unknown as typeof plugin.default, {
      registry: new Registry({ storage: false }),
      processMetrics: false,
    });
    app.get('/x', async () => 'x');
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
      expect((await fetch(`${url}/x`)).status).toBe(200);
      await vi.waitFor(async () =>
        expect(await (await fetch(`${url}/metrics`)).text()).toContain(
          'http_requests_total{method="GET",route="/x",status="2XX"} 1',
        ),
      );
    } finally {
      app.server.closeAllConnections();
      await app.close();
    }
  });
});
