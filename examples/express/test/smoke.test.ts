import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkExampleRoutes } from '@mmstats/test-utils';
import request from 'supertest';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { createApp } from '../src/app.js';

describe('example-express', () => {
  let server: Server;
  let agent: ReturnType<typeof request>;

  beforeAll(async () => {
    server = createApp({ storage: false }).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    agent = request(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  });

  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  it('serves the example routes and counts them by route template', () => checkExampleRoutes(agent));
});
