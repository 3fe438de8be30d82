import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { renderMmstatsFiles } from '../../src/files.js';
import { instrumentHttp } from '../../src/http.js';
import { Registry } from '../../src/index.js';
import { mountTmpfs, mountUnavailable, unmount } from './support/mounts.js';
import { storageWarnings, tempDirectories } from './support/warnings.js';

/**
 * Issue 19, "silent losses with aggregation on": whatever happens to the directory while the app
 * serves requests (deleted, turned read-only, full), every response this process counted is in
 * its /metrics, with aggregation on and off, and the loss of the file shows as metrics.
 */
const dirs = tempDirectories();
const mounts: string[] = [];
/** Read-only bind mounts over a tmpfs: they come off before the tmpfs under them. */
const binds: string[] = [];
const servers: Server[] = [];
const registries: Registry[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  for (const registry of registries.splice(0)) registry.close();
  for (const dir of binds.splice(0)) execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
  for (const dir of mounts.splice(0)) unmount(dir);
  dirs.cleanup();
});

const noMount = mountUnavailable();
type Fault = 'deleted' | 'read-only' | 'full';

function directoryFor(fault: Fault): string {
  if (fault === 'deleted') return dirs.make();
  const dir = mountTmpfs('size=512k');
  mounts.push(dir);
  return dir;
}

/** Applies the fault to the directory of a running writer. */
function injure(fault: Fault, directory: string): void {
  if (fault === 'deleted') rmSync(directory, { recursive: true, force: true });
  else if (fault === 'read-only') {
    // A read-only view over the path: the writer's open mapping keeps the old mount, new files fail.
    execFileSync('mount', ['--bind', directory, directory], { stdio: 'pipe' });
    binds.push(directory);
    execFileSync('mount', ['-o', 'remount,bind,ro', directory], { stdio: 'pipe' });
  } else {
    try {
      writeFileSync(join(directory, 'filler'), Buffer.alloc(1024 * 1024));
    } catch {
      // ENOSPC: the disk is full now, which is the point.
    }
  }
}

/** A bare node:http app with our instrumentation: every path is its own route. */
async function serve(registry: Registry, aggregate: boolean) {
  const http = instrumentHttp<IncomingMessage>({ registry, processMetrics: false, aggregate }, 'faults');
  const tracker = http.createTracker<IncomingMessage>((req, _res, status, start) => {
    http.metrics.end(req, req.method ?? 'GET', req.url, status, start);
  });
  const server = createServer(async (req, res) => {
    const url = req.url ?? '/';
    if (http.isEndpoint(url)) {
      const out = await http.serve({ method: 'GET', accept: undefined, authorization: undefined, req });
      res.writeHead(out.status, out.headers).end(out.body);
      return;
    }
    tracker.track(req, res, req, http.metrics.begin());
    res.writeHead(200).end('ok');
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const scrape = async () => {
    const response = await fetch(`${base}/metrics`);
    expect(response.status).toBe(200);
    return response.text();
  };
  const load = async (phase: string, count: number) => {
    for (let i = 0; i < count; i += 10) {
      const batch = Array.from({ length: Math.min(10, count - i) }, (_, k) =>
        fetch(`${base}/r/${phase}-${(i + k) % 25}`).then((r) => {
          expect(r.status).toBe(200);
          return r.text();
        }),
      );
      await Promise.all(batch);
    }
  };
  return { scrape, load };
}

function counted(text: string): Map<string, number> {
  const routes = new Map<string, number>();
  for (const match of text.matchAll(
    /^http_requests_total\{method="GET",route="([^"]+)",status="2XX"\} (\S+)$/gm,
  ))
    routes.set(match[1]!, (routes.get(match[1]!) ?? 0) + Number(match[2]));
  return routes;
}

const sum = (routes: Map<string, number>) => [...routes.values()].reduce((a, b) => a + b, 0);
const gauge = (text: string, name: string) =>
  Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1]);

const FAULTS: Fault[] = ['deleted', 'read-only', 'full'];
const cases = FAULTS.flatMap((fault) =>
  (['mmap', 'fallback'] as const).flatMap((backend) =>
    [true, false].map((aggregate) => ({ fault, backend, aggregate })),
  ),
);

describe('the directory fails under load: nothing this process counted is lost from /metrics', () => {
  it.each(cases)(
    'directory $fault while serving ($backend, aggregation $aggregate): every response in /metrics, the loss shown',
    async ({ fault, backend, aggregate }) => {
      if (fault !== 'deleted' && noMount !== undefined) return;
      const directory = directoryFor(fault);
      const registry = new Registry({ storage: { directory, backend, segmentSize: 4096, interval: 20 } });
      registries.push(registry);
      const { scrape, load } = await serve(registry, aggregate);
      await load('before', 40);
      expect(sum(counted(await scrape()))).toBe(40);
      const warnings = await storageWarnings(async () => {
        injure(fault, directory);
        // Requests with new series while four scrapers keep scraping.
        const scrapers = Array.from({ length: 4 }, async () => {
          for (let i = 0; i < 5; i++) {
            await scrape();
            await new Promise((resolve) => setTimeout(resolve, 10));
          }
        });
        await Promise.all([load('after', 100), ...scrapers]);
        await new Promise((resolve) => setTimeout(resolve, 60));
      });
      let text = '';
      for (let i = 0; i < 100; i++) {
        text = await scrape();
        if (sum(counted(text)) === 140) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const routes = counted(text);
      expect(sum(routes)).toBe(140);
      for (let k = 0; k < 25; k++) expect(routes.get(`/r/after-${k}`), `/r/after-${k}`).toBe(4);
      expect(gauge(text, 'mmstats_storage_errors_total')).toBeGreaterThanOrEqual(1);
      if (fault === 'deleted') {
        // The directory and the file are written again, with every value: other readers see
        // this process again, every response included.
        expect(gauge(text, 'mmstats_storage_file_live')).toBe(1);
        expect(sum(counted(renderMmstatsFiles(directory)))).toBe(140);
      } else {
        // The loss is shown, and said once: no file gets every value now.
        expect(gauge(text, 'mmstats_storage_file_live')).toBe(0);
      }
      expect(text).toMatch(/^mmstats_storage_info\{backend="(mmap|fallback|memory)"\} 1$/m);
      expect(warnings.length).toBeGreaterThanOrEqual(1);
      expect(new Set(warnings).size).toBe(warnings.length);
    },
  );
});
