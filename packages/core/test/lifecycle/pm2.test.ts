import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mmstatsFiles, request, requestTotals, tempDirectory } from './support/app.js';
import { bundleServer } from './support/bundle.js';

const run = promisify(execFile);

interface Pm2Api {
  connect(done: (error?: Error | null) => void): void;
  reload(name: string, done: (error?: Error | null) => void): void;
  disconnect(): void;
}
const PM2 = fileURLToPath(new URL('../../../../node_modules/pm2/bin/pm2', import.meta.url));
const root = tempDirectory('pm2');
const home = join(root, 'pm2-home');
const directory = join(root, 'files');
let script = '';

/** One PM2 command against the private daemon in `home`, bounded in time. */
async function pm2(...args: string[]): Promise<string> {
  const env = {
    ...process.env,
    PM2_HOME: home,
    MMSTATS_PATH: directory,
    NODE_APP_INSTANCE: undefined,
    pm_id: undefined,
  };
  const { stdout } = await run(process.execPath, [PM2, ...args], { env, timeout: 60_000 });
  return stdout;
}

async function startApp(name: string, port: number): Promise<void> {
  const env = {
    ...process.env,
    PM2_HOME: home,
    MMSTATS_PATH: directory,
    MMSTATS_TEST_SETTINGS: JSON.stringify({ port, lean: true }),
  };
  await run(process.execPath, [PM2, 'start', script, '-i', '2', '--name', name], { env, timeout: 60_000 });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

/** PIDs PM2 reports for an app's instances that are online. */
async function onlinePids(name: string): Promise<number[]> {
  const list = JSON.parse(await pm2('jlist')) as { name: string; pid: number; pm2_env: { status: string } }[];
  return list.filter((p) => p.name === name && p.pm2_env.status === 'online' && p.pid > 0).map((p) => p.pid);
}

async function waitListening(port: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while ((await request(port, '/metrics').catch(() => ({ status: 0 }))).status !== 200) {
    if (Date.now() > deadline) throw new Error(`nothing answers on port ${port}: ${await pm2('jlist')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The daemon is killed by PID too, should `pm2 kill` fail: nothing outlives the test. */
async function killDaemon(): Promise<void> {
  await pm2('kill').catch(() => {});
  const pidFile = join(home, 'pm2.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8'));
  try {
    process.kill(pid, 'SIGKILL');
  } catch {}
}

describe('under real PM2 (cluster mode, PM2_HOME in a temp directory)', () => {
  let web = 0;
  let api = 0;
  beforeAll(async () => {
    script = bundleServer(root, 'server', 'cjs');
    await run('mkdir', ['-p', directory]);
    web = await freePort();
    api = await freePort();
    await startApp('web', web);
    await startApp('api', api);
    await Promise.all([waitListening(web), waitListening(api)]);
  }, 120_000);

  afterAll(async () => {
    await pm2('delete', 'all').catch(() => {});
    await killDaemon();
    rmSync(root, { recursive: true, force: true, maxRetries: 20, retryDelay: 50 });
  }, 60_000);

  it('two apps with two instances each see only their own requests, and only their own gauges', async () => {
    for (let i = 0; i < 3; i++) expect((await request(web, '/a')).status).toBe(200);
    for (let i = 0; i < 5; i++) expect((await request(api, '/missing')).status).toBe(404);
    const webPids = await onlinePids('web');
    const apiPids = await onlinePids('api');
    expect(webPids).toHaveLength(2);
    expect(apiPids).toHaveLength(2);
    // A response is counted just after its bytes left: the last one may be a moment behind.
    await expect
      .poll(async () => requestTotals((await request(web, '/metrics')).body))
      .toEqual({ '/a 2XX': 3 });
    await expect
      .poll(async () => requestTotals((await request(api, '/metrics')).body))
      .toEqual({ '/missing 4XX': 5 });
    for (let i = 0; i < 2; i++) {
      const webText = (await request(web, '/metrics')).body;
      const apiText = (await request(api, '/metrics')).body;
      expect(requestTotals(webText)).toEqual({ '/a 2XX': 3 });
      expect(requestTotals(apiText)).toEqual({ '/missing 4XX': 5 });
      const inFlight = (text: string) =>
        [...text.matchAll(/^http_requests_in_flight\{pid="(\d+)"\}/gm)].map((m) => Number(m[1])).sort();
      expect(inFlight(webText)).toEqual([...webPids].sort());
      expect(inFlight(apiText)).toEqual([...apiPids].sort());
    }
  });

  it('20 `pm2 reload`s under traffic: totals exact, files bounded', async () => {
    const before = requestTotals((await request(web, '/metrics')).body);
    const received: Record<string, number> = { ...before };
    let stop = false;
    let failed = 0;
    const traffic = (async () => {
      while (!stop) {
        try {
          const { status } = await request(web, '/a');
          const key = `/a ${status === 200 ? '2XX' : status}`;
          received[key] = (received[key] ?? 0) + 1;
        } catch {
          failed++;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    // PM2's own API, connected to the same daemon: twenty CLI start-ups would cost more than the reloads.
    process.env.PM2_HOME = home;
    const pm2Api = createRequire(import.meta.url)('pm2') as Pm2Api;
    const done = (resolve: () => void, reject: (e: Error) => void) => (error?: Error | null) =>
      error ? reject(error) : resolve();
    await new Promise<void>((resolve, reject) => pm2Api.connect(done(resolve, reject)));
    try {
      for (let i = 0; i < 20; i++) {
        await new Promise<void>((resolve, reject) => pm2Api.reload('web', done(resolve, reject)));
      }
    } finally {
      pm2Api.disconnect();
      stop = true;
      await traffic;
    }
    await waitListening(web);
    // Traffic went on during the reloads (how much depends on the machine).
    expect(received['/a 2XX']).toBeGreaterThan(before['/a 2XX']! + 5);
    expect(failed).toBeLessThan(received['/a 2XX']! / 2);
    // Old instances may still be exiting: totals must be exact once they are gone.
    await expect
      .poll(async () => requestTotals((await request(web, '/metrics')).body), { timeout: 20_000 })
      .toEqual(received);
    // The other app never saw any of it.
    expect(requestTotals((await request(api, '/metrics')).body)).toEqual({ '/missing 4XX': 5 });
    // Two live files per app, an archive each; at most one file of an instance still on its way out.
    const files = mmstatsFiles(directory);
    expect(files.filter((f) => f.startsWith('mmstats-archive-'))).toHaveLength(1);
    expect(files.length).toBeLessThanOrEqual(2 + 2 + 2);
  }, 240_000);
});
