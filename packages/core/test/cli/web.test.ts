import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { appOf } from '../../src/cli/app-of.js';
import type { RunningServer } from '../../src/cli/http-listen.js';
import { listenAddress, warnIfExposed } from '../../src/cli/http-listen.js';
import type { CliIo } from '../../src/cli/io.js';
import { startWeb } from '../../src/cli/web/command.js';
import type { PageSnapshot } from '../../src/cli/web/snapshot.js';
import { type MmstatsFile, readMmstatsFile } from '../../src/file-reader/reader.js';
import { Counter, Histogram, Registry } from '../../src/index.js';
import { buffered, image, unbuffered, writeImage } from '../support/mmstats-images.js';

/** A file as the page reads it, identity fields included. */
function readWritten(path: string): MmstatsFile {
  const read = readMmstatsFile(path);
  if (!read.ok) throw new Error(read.reason);
  return read;
}

let root: string;
const open: RunningServer[] = [];
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'mmstats-webtest-'));
});
afterEach(async () => {
  for (const server of open.splice(0)) await server.close();
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Two worker files of app `shop` (hand-made, as a Python writer's would be) and a corrupt file. */
function workers(dir: string): void {
  for (const [pid, hits] of [
    [101, 5],
    [102, 7],
  ] as const) {
    writeImage(
      dir,
      `mmstats-shop-${pid}-${pid}.mmstats`,
      image([
        unbuffered('sys.pid', 'I', pid),
        buffered('web.hits', 'Q', hits),
        buffered('web.load', 'd', pid / 100),
      ]),
    );
  }
  writeFileSync(join(dir, 'mmstats-shop-103-103.mmstats'), Buffer.alloc(64, 0x02));
}

async function webOn(dir: string) {
  const server = await startWeb({
    listen: { port: 0, host: '127.0.0.1' },
    targets: [dir],
    shown: dir,
    env: {},
  });
  open.push(server);
  return server;
}

const json = async (url: string) => {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

describe('mmstats web: JSON endpoints and headers', () => {
  it('lists fields and aggregates a prefix across processes, as mmash did', async () => {
    const dir = join(root, 'mmash');
    mkdirSync(dir);
    workers(dir);
    const { url } = await webOn(dir);
    const listing = await json(`${url}/stats/`);
    expect(listing.body.fields).toEqual(['sys.pid', 'web.hits', 'web.load']);
    expect(listing.body.skipped).toEqual([
      { path: join(dir, 'mmstats-shop-103-103.mmstats'), reason: expect.stringMatching(/^format version 2/) },
    ]);
    const results: Record<string, unknown> = {};
    for (const aggr of ['sum', 'avg', 'min', 'max'])
      results[aggr] = (await json(`${url}/stats/web.hits?aggr=${aggr}`)).body.value;
    expect(results).toEqual({ sum: 12, avg: 6, min: 5, max: 7 });
    expect((await json(`${url}/stats/web.?aggr=max`)).body).toEqual({
      prefix: 'web.',
      aggr: 'max',
      value: 7 + 1.02,
      processes: 2,
      fields: { 'web.hits': 7, 'web.load': 1.02 },
    });
    expect((await json(`${url}/stats/nothing`)).body).toMatchObject({ value: null, processes: 0 });
    expect(await json(`${url}/stats/web.hits?aggr=median`)).toEqual({
      status: 400,
      body: { error: 'aggr=median: use sum, avg, min or max.' },
    });
  });

  it('groups by app and process, histograms with their buckets; a vanished directory is shown as skipped', async () => {
    const dir = join(root, 'vanishing');
    mkdirSync(dir);
    const registry = new Registry({ storage: { directory: dir } });
    try {
      new Counter({ name: 'jobs_total', help: 'Jobs', labelNames: ['queue'], registers: [registry] }).inc(
        { queue: '<b>"q"</b>' },
        2,
      );
      new Histogram({
        name: 'job_seconds',
        help: 'Job time',
        buckets: [0.1, 1],
        registers: [registry],
      }).observe(0.5);
      registry.sync();
      const { url } = await webOn(dir);
      const page = (await json(`${url}/api/snapshot`)).body as unknown as PageSnapshot;
      expect(page.apps).toHaveLength(1);
      const [process0] = page.apps[0]!.processes;
      expect(page.apps[0]!.app).toBe(appOf(readWritten(registry.storageFiles[0]!)));
      expect(process0).toMatchObject({ pid: process.pid, running: true });
      expect(process0!.families.map((f) => [f.name, f.type, f.series.map(({ id: _, ...s }) => s)])).toEqual([
        ['jobs_total', 'counter', [{ labels: [['queue', '<b>"q"</b>']], value: 2 }]],
        [
          'job_seconds',
          'histogram',
          [
            {
              labels: [],
              count: 1,
              sum: 0.5,
              buckets: [
                ['0.1', 0],
                ['1.0', 1],
                ['+Inf', 1],
              ],
            },
          ],
        ],
      ]);
      // Markup in values stays inside JSON strings, escaped so no HTML parser could see a tag.
      const raw = await (await fetch(`${url}/api/snapshot`)).text();
      expect(raw).not.toContain('<b>');
      expect(raw).toContain('\\u003cb\\u003e');

      rmSync(dir, { recursive: true });
      const gone = (await json(`${url}/api/snapshot`)).body as unknown as PageSnapshot;
      expect(gone.apps).toEqual([]);
      expect(gone.skipped).toEqual([{ path: dir, reason: 'no such file or directory' }]);
    } finally {
      registry.close();
    }
  });

  it('serves the page with a policy that loads nothing from elsewhere, and only to loopback names', async () => {
    const dir = join(root, 'headers');
    mkdirSync(dir);
    const { url } = await webOn(dir);
    const page = await fetch(`${url}/`);
    expect(page.headers.get('content-security-policy')).toMatch(/^default-src 'none'; script-src 'self';/);
    expect(await page.text()).not.toMatch(/(src|href)="(https?:)?\/\//);
    const uplot = await fetch(`${url}/assets/uPlot.iife.min.js`);
    expect(uplot.status).toBe(200);
    expect((await uplot.text()).length).toBeGreaterThan(10_000);
    // A page elsewhere that resolves its own name to 127.0.0.1 (DNS rebinding) is refused.
    const status = await new Promise<number>((resolve, reject) => {
      const { port } = new URL(url);
      request({ host: '127.0.0.1', port, path: '/stats/', headers: { host: 'evil.example:80' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
        .on('error', reject)
        .end();
    });
    expect(status).toBe(403);
    expect((await fetch(`${url}/nope`)).status).toBe(404);
  });
});

describe('appOf', () => {
  const at = (path: string, pid: number | undefined, fields: MmstatsFile['fields'] = []) =>
    appOf({ path, pid, fields });

  it('takes the command name of the default file name, dashes included', () => {
    expect(at('/d/mmstats-server-42-42.mmstats', 42)).toBe('server');
    expect(at('/d/mmstats-my-app-42-43.mmstats', 42)).toBe('my-app');
    expect(at('/d/mmstats-my-app-42-43-2.mmstats', undefined)).toBe('my-app');
    expect(at('/d/custom.mmstats', 7)).toBe('custom');
  });

  it("prefers the file's own application field", () => {
    const identity = { label: 'mmstats.app', sig: '64s', value: 'checkout', buffered: false };
    expect(at('/d/mmstats-server-42-42.mmstats', 42, [identity])).toBe('checkout');
    expect(at('/d/mmstats-server-42-42.mmstats', 42, [{ ...identity, value: '' }])).toBe('server');
  });
});

describe('listening', () => {
  it('binds 127.0.0.1 unless told otherwise, and warns only when told otherwise', () => {
    expect(listenAddress({}, 9465)).toEqual({ port: 9465, host: '127.0.0.1' });
    expect(listenAddress({ port: '0', host: '::1' }, 9465)).toEqual({ port: 0, host: '::1' });
    expect(listenAddress({ port: '70000' }, 9465)).toMatch(
      /^--port 70000: use a whole number from 0 to 65535/,
    );
    let stderr = '';
    const io: CliIo = { stdout: () => {}, stderr: (text) => (stderr += text), env: {} };
    for (const host of ['127.0.0.1', '::1', 'localhost']) warnIfExposed(io, 'web', host);
    expect(stderr).toBe('');
    warnIfExposed(io, 'web', '0.0.0.0');
    expect(stderr).toMatch(/^mmstats web: warning: listening on 0\.0\.0\.0, not only on this machine/);
  });
});
