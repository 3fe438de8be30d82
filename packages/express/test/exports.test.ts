import { once } from 'node:events';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { describeAdapterExports } from '@mmstats/test-utils';
import { describe, expect, it, vi } from 'vitest';

const built = describeAdapterExports('@mmstats/express', import.meta.url);

describe('@mmstats/express from CommonJS', () => {
  it('works as CommonJS users load it, with a Registry from the CommonJS build of core', async () => {
    const require = createRequire(import.meta.url);
    const { mmstats } = require(built('index.cjs')) as typeof import('../dist/index.js');
    const { Registry } = require('@mmstats/core') as typeof import('@mmstats/core');
    const express = require('express') as typeof import('express');
    const app = express();
    app.use(mmstats({ registry: new Registry({ storage: false }), processMetrics: false }));
    app.get('/x', (_req, res) => {
      res.send('x');
    });
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      expect((await fetch(`${url}/x`)).status).toBe(200);
      await vi.waitFor(async () =>
        expect(await (await fetch(`${url}/metrics`)).text()).toContain(
          'http_requests_total{method="GET",route="/x",status="2XX"} 1',
        ),
      );
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
