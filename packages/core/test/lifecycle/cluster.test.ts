import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderExposition } from '../../src/exposition/render.js';
import { appFamilies } from '../../src/file-reader/cluster-metrics.js';
import { appOf } from '../../src/file-reader/file-identity.js';
import { readMmstatsFile } from '../../src/file-reader/reader.js';
import { runWriter } from '../storage/support/child.js';
import {
  load,
  messages,
  mmstatsFiles,
  request,
  requestTotals,
  running,
  startCluster,
  stopCluster,
  tempDirectory,
} from './support/app.js';
import { bundleServer } from './support/bundle.js';

const root = tempDirectory('cluster');
let script = '';
let counting = '';
beforeAll(() => {
  script = bundleServer(root);
  counting = bundleServer(root, 'counting-cluster');
});
afterAll(() => rmSync(root, { recursive: true, force: true, maxRetries: 20, retryDelay: 50 }));

async function scrape(port: number): Promise<string> {
  const { status, body } = await request(port, '/metrics');
  expect(status).toBe(200);
  return body;
}

describe('node:cluster', () => {
  it('4 workers, one killed with SIGKILL mid-load and replaced: /metrics from any worker equals what the client received', async () => {
    const directory = tempDirectory('cluster-kill');
    const cluster = await startCluster(script, directory, 4);
    try {
      // A SIGKILL can land anywhere, also in the microseconds between a response's write to the
      // socket and its counting later in the same tick: that one response would be received and
      // never counted, and no counter inside the process can close that gap. So the victim is
      // killed while it blocks in a handler (GET /spin), mid-load for everyone else: between two
      // callbacks, where every response it wrote has been counted.
      const { received, failed } = await load(cluster.port, 600, 8, async (i) => {
        if (i !== 200) return;
        request(cluster.port, '/spin').catch(() => {});
        const [spinning] = await messages(cluster.child, (m) => typeof m.spinning === 'number', 1);
        process.kill(spinning!.spinning as number, 'SIGKILL');
      });
      // The primary replaced the victim.
      await expect.poll(() => cluster.listening().length, { timeout: 10_000 }).toBe(5);
      expect(failed).toBeLessThan(20);
      // A response is counted just after its bytes left, so the last ones may be a moment behind;
      // then each scrape lands on a worker the primary picks (round robin): any of them must agree.
      await expect.poll(async () => requestTotals(await scrape(cluster.port))).toEqual(received);
      for (let i = 0; i < 4; i++) expect(requestTotals(await scrape(cluster.port))).toEqual(received);
      expect(Object.values(received).reduce((a, b) => a + b, 0)).toBe(600 - failed);
      // The victim's file went into the archive; four live files remain.
      expect(mmstatsFiles(directory).filter((f) => f.startsWith('mmstats-archive-'))).toHaveLength(1);
      expect(mmstatsFiles(directory)).toHaveLength(5);
    } finally {
      await stopCluster(cluster.child);
      rmSync(directory, { recursive: true, force: true, maxRetries: 20, retryDelay: 50 });
    }
  });

  it('200 worker restarts (SIGTERM, every tenth SIGKILL): totals exact, at most workers + 2 files, render time flat', async () => {
    const directory = tempDirectory('cluster-restarts');
    const workers = 8;
    const jobs = 3;
    const primary = runWriter(
      counting,
      { workers, jobs },
      { env: { ...process.env, MMSTATS_PATH: directory } },
    );
    const app = () => readAppFilesApp(directory);
    const renderMs = (name: string) => {
      const times: number[] = [];
      for (let i = 0; i < 9; i++) {
        const start = performance.now();
        renderExposition(appFamilies(directory, name), 'text');
        times.push(performance.now() - start);
      }
      return times.sort((a, b) => a - b)[4]!;
    };
    try {
      await messages(primary, (m) => typeof m.ready === 'number', workers, 60_000);
      const name = app();
      renderMs(name); // warm up the JIT, so "before" is not the cold start
      const before = renderMs(name);
      // Each worker is stopped as soon as it has counted; the primary forks its replacement.
      let restarts = 0;
      const stopped = new Set<number>();
      while (restarts < 200) {
        for (const m of primary.messages) {
          const pid = m.ready as number;
          if (stopped.has(pid) || restarts >= 200) continue;
          stopped.add(pid);
          process.kill(pid, restarts % 10 === 0 ? 'SIGKILL' : 'SIGTERM');
          restarts++;
        }
        if (primary.process.exitCode !== null) throw new Error(primary.stderr());
        await new Promise((r) => setTimeout(r, 10));
      }
      const ready = await messages(primary, (m) => typeof m.ready === 'number', 200 + workers, 150_000);
      await expect.poll(() => [...stopped].filter(running).length, { timeout: 20_000 }).toBe(0);
      const text = renderExposition(appFamilies(directory, name), 'text');
      const after = renderMs(name);
      expect(value(text, 'jobs_total{queue="mail"}')).toBe(jobs * ready.length);
      expect(value(text, 'job_seconds_count')).toBe(ready.length);
      expect(text.match(/^queue_depth\{/gm)).toHaveLength(workers);
      expect(mmstatsFiles(directory).length).toBeLessThanOrEqual(workers + 2);
      process.stdout.write(
        `cluster render, ${workers} workers: ${before.toFixed(2)} ms before, ${after.toFixed(2)} ms after ${restarts} restarts\n`,
      );
      // Flat: the processes that ever ran do not slow the render down.
      expect(after).toBeLessThan(Math.max(before * 3, before + 10));
    } finally {
      await stopCluster(primary);
      rmSync(directory, { recursive: true, force: true, maxRetries: 20, retryDelay: 50 });
    }
  }, 240_000);
});

function value(text: string, sample: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  return line === undefined ? undefined : Number(line.slice(sample.length + 1));
}

/** The app of the first file in the directory: the workers' own. */
function readAppFilesApp(directory: string): string {
  for (const name of mmstatsFiles(directory)) {
    const file = readMmstatsFile(join(directory, name));
    const app = file.ok ? appOf(file) : undefined;
    if (app !== undefined) return app;
  }
  throw new Error(`no file of ours in ${directory}`);
}
