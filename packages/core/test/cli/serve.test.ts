import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, promtoolCheckMetrics, toolAvailable, waitFor } from '@mmstats/test-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/cli/http-listen.js';
import { startServe } from '../../src/cli/serve.js';
import { Counter, Gauge, Registry } from '../../src/index.js';
import { parseOpenMetrics, parseText } from '../support/exposition-parser.js';
import { buffered, image, unbuffered, writeImage } from '../support/mmstats-images.js';

const CLI = fileURLToPath(new URL('../../bin/mmstats.cjs', import.meta.url));
const HOSTILE = `<script>alert("x")</script> it's a \\ "route"\nnext line`;

let root: string;
const open: RunningServer[] = [];
const registries: Registry[] = [];
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'mmstats-serve-'));
});
afterEach(async () => {
  for (const server of open.splice(0)) await server.close();
  for (const registry of registries.splice(0)) registry.close();
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

let dirs = 0;
function freshDir(): string {
  const dir = join(root, `d${++dirs}`);
  mkdirSync(dir);
  return dir;
}

/** A real registry writing its file into `dir`; its file is then also copied as app `name`. */
function appFiles(dir: string, name: string, requests: number, route = '/users/:id'): void {
  const registry = new Registry({ storage: { directory: dir, app: name } });
  registries.push(registry);
  new Counter({
    name: 'http_requests_total',
    help: 'Requests',
    labelNames: ['route', 'status'],
    registers: [registry],
  }).inc({ route, status: '2XX' }, requests);
  new Gauge({ name: 'queue_depth', help: 'Waiting', registers: [registry] }).set(3);
  registry.sync();
  const own = registry.storageFiles[0]!;
  copyFileSync(own, join(dir, `mmstats-${name}-${process.pid}-${process.pid}.mmstats`));
  rmSync(own);
}

async function serveDir(dir: string, report: string[] = [], auth?: { bearer: string }) {
  const server = await startServe({
    listen: { port: 0, host: '127.0.0.1' },
    targets: [dir],
    shown: dir,
    env: {},
    auth,
    report: (line) => report.push(line),
  });
  open.push(server);
  return server;
}

const sampleLines = (text: string) => text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));

async function scrape(url: string, accept?: string) {
  const response = await fetch(`${url}/metrics`, { headers: accept ? { accept } : {} });
  return { status: response.status, type: response.headers.get('content-type'), body: await response.text() };
}

describe('mmstats serve', () => {
  it('aggregates per app and labels each app when there are several', async () => {
    const dir = freshDir();
    appFiles(dir, 'shop', 3);
    appFiles(dir, 'billing', 5);
    const { url } = await serveDir(dir);
    const { status, type, body } = await scrape(url);
    expect(status).toBe(200);
    expect(type).toBe('text/plain; version=0.0.4; charset=utf-8');
    const families = parseText(body);
    const requests = families.find((f) => f.name === 'http_requests_total')!;
    expect(requests.type).toBe('counter');
    expect(requests.samples.map((s) => [s.labels.app, s.labels.route, s.value])).toEqual([
      ['billing', '/users/:id', 5],
      ['shop', '/users/:id', 3],
    ]);
    const gauges = families.find((f) => f.name === 'queue_depth')!.samples;
    expect(gauges.map((s) => [s.labels.app, s.labels.pid, s.value])).toEqual([
      ['billing', String(process.pid), 3],
      ['shop', String(process.pid), 3],
    ]);
    const home = await (await fetch(`${url}/`)).text();
    expect(home).toContain('app shop: 1 file(s)');
    expect(home).toContain('app billing: 1 file(s)');
    expect((await fetch(`${url}/elsewhere`)).status).toBe(404);
  });

  it.skipIf(!toolAvailable('promtool'))(
    'gives several apps, a hostile route among them, that promtool accepts',
    async () => {
      const dir = freshDir();
      appFiles(dir, 'shop', 3, HOSTILE);
      appFiles(dir, 'billing', 5);
      const { url } = await serveDir(dir);
      const result = promtoolCheckMetrics((await scrape(url)).body);
      expect(result).toEqual({ ok: true, output: '' });
    },
  );

  it('--app serves one app alone, without an app label', async () => {
    const dir = freshDir();
    appFiles(dir, 'shop', 3);
    appFiles(dir, 'billing', 5);
    const server = await startServe({
      listen: { port: 0, host: '127.0.0.1' },
      targets: [dir],
      shown: dir,
      app: 'billing',
      env: {},
    });
    open.push(server);
    const requests = parseText((await scrape(server.url)).body).find(
      (f) => f.name === 'http_requests_total',
    )!;
    expect(requests.samples.map((s) => [s.labels, s.value])).toEqual([
      [{ route: '/users/:id', status: '2XX' }, 5],
    ]);
    const home = await (await fetch(`${server.url}/`)).text();
    expect(home).toContain('app billing only');
    expect(home).not.toContain('app shop');
  });

  it('gives the values of now at every scrape, of a file it has read before', async () => {
    const dir = freshDir();
    const registry = new Registry({ storage: { directory: dir, app: 'live' } });
    registries.push(registry);
    const counter = new Counter({
      name: 'jobs_total',
      help: 'Jobs',
      labelNames: ['queue'],
      registers: [registry],
    });
    counter.inc({ queue: 'mail' }, 1);
    const { url } = await serveDir(dir);
    const value = async () =>
      parseText((await scrape(url)).body)
        .find((f) => f.name === 'jobs_total')
        ?.samples.map((s) => [s.labels.queue, s.value]);
    expect(await value()).toEqual([['mail', 1]]);
    counter.inc({ queue: 'mail' }, 2);
    expect(await value()).toEqual([['mail', 3]]);
    // A series added since: the file grew a record, read again in full.
    counter.inc({ queue: 'sms' }, 4);
    expect(await value()).toEqual([
      ['mail', 3],
      ['sms', 4],
    ]);
  });

  it('one app: no app label; OpenMetrics when asked for', async () => {
    const dir = freshDir();
    appFiles(dir, 'shop', 2);
    const { url } = await serveDir(dir);
    const { type, body } = await scrape(url, 'application/openmetrics-text; version=1.0.0');
    expect(type).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    expect(body.endsWith('# EOF\n')).toBe(true);
    const sample = parseOpenMetrics(body).find((f) => f.name === 'http_requests')!.samples[0]!;
    expect(sample.labels).toEqual({ route: '/users/:id', status: '2XX' });
    expect(sample.value).toBe(2);
  });

  it('escapes a hostile label value in the exposition, and / is plain text', async () => {
    const dir = freshDir();
    appFiles(dir, 'shop', 1, HOSTILE);
    const { url } = await serveDir(dir);
    const { body } = await scrape(url);
    expect(body).toContain('route="<script>alert(\\"x\\")</script> it\'s a \\\\ \\"route\\"\\nnext line"');
    const sample = parseText(body).find((f) => f.name === 'http_requests_total')!.samples[0]!;
    expect(sample.labels.route).toBe(HOSTILE);
    const home = await fetch(`${url}/`);
    expect(home.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(home.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('exports fields of the original mmstats layout as gauges named from their labels', async () => {
    const dir = freshDir();
    writeImage(
      dir,
      'mmstats-legacy-1-1.mmstats',
      image([
        unbuffered('sys.pid', 'I', process.pid),
        buffered('mmstats.example.counter', 'Q', 42),
        buffered('web.load', 'd', 0.5),
      ]),
    );
    const { url } = await serveDir(dir);
    const families = parseText((await scrape(url)).body);
    expect(families.map((f) => [f.name, f.type, f.samples.map((s) => s.value)])).toEqual([
      ['mmstats_example_counter', 'gauge', [42]],
      ['web_load', 'gauge', [0.5]],
      ['mmstats_serve_files', 'gauge', [1]],
      ['mmstats_serve_skipped_files', 'gauge', [0]],
    ]);
  });

  it('skips a corrupt file with the reason and serves the rest', async () => {
    const dir = freshDir();
    appFiles(dir, 'shop', 4);
    writeFileSync(join(dir, 'mmstats-shop-99-99.mmstats'), Buffer.alloc(4096, 0xff));
    const report: string[] = [];
    const { url } = await serveDir(dir, report);
    const { status, body } = await scrape(url);
    expect(status).toBe(200);
    expect(parseText(body).find((f) => f.name === 'http_requests_total')!.samples[0]!.value).toBe(4);
    expect(report).toEqual([
      expect.stringMatching(/^skipping .*mmstats-shop-99-99\.mmstats: format version 255/),
    ]);
    // The exporter's own gauges count it, so a scrape can be alerted on.
    expect(body).toContain('mmstats_serve_files{app="shop"} 1\n');
    expect(body).toContain('mmstats_serve_skipped_files 1\n');
    expect(await (await fetch(`${url}/`)).text()).toMatch(
      /skipped .*mmstats-shop-99-99\.mmstats: format version/,
    );
  });

  it('keeps serving when the directory disappears, and picks it up when it is back', async () => {
    const dir = freshDir();
    appFiles(dir, 'shop', 1);
    const report: string[] = [];
    const { url } = await serveDir(dir, report);
    expect((await scrape(url)).body).toContain('http_requests_total{route="/users/:id",status="2XX"} 1');
    rmSync(dir, { recursive: true });
    const gone = await scrape(url);
    expect(gone.status).toBe(200);
    expect(sampleLines(gone.body)).toEqual(['mmstats_serve_skipped_files 1']);
    expect(report).toEqual([`skipping ${dir}: no such file or directory`]);
    mkdirSync(dir);
    appFiles(dir, 'shop', 6);
    expect((await scrape(url)).body).toContain('http_requests_total{route="/users/:id",status="2XX"} 6');
  });

  it('protects /metrics like the middleware does', async () => {
    const dir = freshDir();
    appFiles(dir, 'shop', 1);
    const { url } = await serveDir(dir, [], { bearer: 's3cret' });
    const refused = await fetch(`${url}/metrics`);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
    const allowed = await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer s3cret' } });
    expect(allowed.status).toBe(200);
    expect((await fetch(`${url}/metrics`, { method: 'POST' })).status).toBe(405);
    expect(await (await fetch(`${url}/`)).text()).toBe(
      'mmstats serve: Prometheus metrics at /metrics, for authenticated scrapers.\n',
    );
  });
});

/** Runs the built command; resolves with its exit code and output once it exits. */
function runCli(args: string[], env: NodeJS.ProcessEnv = {}, onStdout?: (text: string) => void) {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
    onStdout?.(stdout);
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const done = new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>(
    (resolve) =>
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout, stderr });
      }),
  );
  return { child, done };
}

describe('mmstats serve and web as commands', () => {
  let busy: Server;
  let busyPort: number;
  beforeAll(async () => {
    busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    busyPort = (busy.address() as AddressInfo).port;
  });
  afterAll(() => new Promise((resolve) => busy.close(resolve)));

  it.each(['serve', 'web'])('%s --help prints its usage', async (command) => {
    const { code, stdout } = await runCli([command, '--help']).done;
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`^Usage: mmstats ${command} \\[--port`));
  });

  it.each(['serve', 'web'])('%s says which port is taken and how to fix it', async (command) => {
    const { code, stderr } = await runCli([command, '--port', String(busyPort), root]).done;
    expect(code).toBe(1);
    expect(stderr).toBe(
      `mmstats ${command}: port ${busyPort} on 127.0.0.1 is already in use by another program: stop it, or choose another port with --port N (--port 0 picks a free one).\n`,
    );
  });

  it.each(['serve', 'web'])('%s says which directory is missing and how to fix it', async (command) => {
    const missing = join(root, 'no-such-dir');
    const { code, stderr } = await runCli([command, '--port', '0', missing]).done;
    expect(code).toBe(1);
    expect(stderr).toBe(
      `mmstats ${command}: ${missing} does not exist: name the directory the app writes its mmstats files to (its MMSTATS_PATH), a file, or a quoted glob.\n`,
    );
    const fromEnv = await runCli([command, '--port', '0'], { MMSTATS_PATH: missing }).done;
    expect(fromEnv.code).toBe(1);
    expect(fromEnv.stderr).toContain(`$MMSTATS_PATH ${missing} does not exist: start the app first`);
  });

  it('rejects a bad port with the usage', async () => {
    const { code, stderr } = await runCli(['serve', '--port', 'http']).done;
    expect(code).toBe(2);
    expect(stderr).toMatch(/^mmstats: --port http: use a whole number from 0 to 65535/);
  });

  it.each([
    ['serve', 'SIGTERM'],
    ['web', 'SIGINT'],
  ] as const)('%s stops cleanly on %s', async (command, signal) => {
    const port = await freePort();
    let ready = false;
    const run = runCli([command, '--port', String(port), root], {}, (out) => {
      ready ||= out.includes(`http://127.0.0.1:${port}`);
    });
    await waitFor(async () => (ready ? true : undefined), 10_000, `${command} to listen`);
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(200);
    run.child.kill(signal);
    const { code, signal: killedBy, stdout } = await run.done;
    expect({ code, killedBy }).toEqual({ code: 0, killedBy: null });
    expect(stdout).toContain(`mmstats ${command}: stopped\n`);
  });
});
