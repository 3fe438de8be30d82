import { mkdtempSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  freePort,
  promtoolCheckMetrics,
  type RunningProcess,
  samplesOf,
  startProgram,
  toolAvailable,
  waitFor,
} from '@mmstats/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SERVER = fileURLToPath(new URL('./fixtures/cluster-server.mjs', import.meta.url));
const USERS = { method: 'GET', route: '/users/:id', status: '2XX' };

describe('a Node cluster: /metrics in any worker shows the sum over every worker', () => {
  let cluster: RunningProcess;
  let base: string;
  let directory: string;

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'mmstats-cluster-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    cluster = await startProgram(process.execPath, [SERVER, String(port), directory, '2'], `${base}/pid`);
  }, 30_000);

  afterAll(async () => {
    await cluster?.stop();
    // Workers archive their files as they exit, which can outlast stop() by a moment.
    rmSync(directory, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  });

  /** A GET on a connection of its own: the cluster hands each new connection to the next worker. */
  const fresh = (path: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      get(`${base}${path}`, { agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      }).on('error', reject);
    });
  const scrape = async () => (await fresh('/metrics')).body;
  const onlinePids = () => [...cluster.output().matchAll(/^online (\d+)$/gm)].map((m) => m[1]!);
  const gaugePids = (text: string) =>
    new Set(samplesOf(text, 'process_resident_memory_bytes').map((s) => s.labels.pid));
  const total = (text: string) => samplesOf(text, 'http_requests_total', USERS)[0]?.value;

  it('counts requests served by both workers in every scrape, with one gauge series per live worker', async () => {
    await waitFor(async () => (onlinePids().length === 2 ? true : undefined), 10_000, 'two workers');
    // 'online' means forked, not listening: until both listen, the primary hands every connection
    // to the one that does (a loaded machine made this test fail).
    const listening = new Set<string>();
    await waitFor(
      async () => {
        listening.add((await fresh('/pid')).body);
        return listening.size === 2 ? true : undefined;
      },
      10_000,
      'two workers listening',
    );
    // Round-robin scheduling spreads these over both workers.
    const answeredBy = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const { status, body } = await fresh(`/users/${i}`);
      expect(status).toBe(200);
      answeredBy.add(String(JSON.parse(body).pid));
    }
    expect(answeredBy).toEqual(new Set(onlinePids()));
    // A response is counted as it finishes, just after its bytes left: the last one may reach the
    // client a moment before its worker counts it (the conformance suite waits the same way).
    await waitFor(async () => (total(await scrape()) === 40 ? true : undefined), 5000, 'the 40th count');
    for (let i = 0; i < 4; i++) {
      const text = await scrape();
      expect(total(text)).toBe(40);
      expect(gaugePids(text)).toEqual(new Set(onlinePids()));
    }
    // Histograms reach the files within one publish interval (250 ms).
    await waitFor(
      async () =>
        samplesOf(await scrape(), 'http_request_duration_seconds_count', USERS)[0]?.value === 40
          ? true
          : undefined,
      5000,
      'the summed histogram count',
    );
    if (toolAvailable('promtool')) {
      // prom-client's names for three gauges end in _total; dashboards expect them.
      const findings = promtoolCheckMetrics(await scrape())
        .output.split('\n')
        .filter((line) => line !== '' && !/^nodejs_active_\w+_total non-counter metrics/.test(line));
      expect(findings).toEqual([]);
    }
    const starts = samplesOf(await scrape(), 'process_start_time_seconds').map((s) => s.value);
    expect(starts).toHaveLength(2);
    for (const start of starts) expect(start).toBeGreaterThan(Date.now() / 1000 - 120);
  });

  it('keeps the counts of a worker that crashed, and drops its gauges', async () => {
    cluster.child.kill('SIGUSR2');
    await waitFor(async () => (onlinePids().length === 3 ? true : undefined), 10_000, 'a replacement worker');
    const killed = /^killed (\d+)$/m.exec(cluster.output())?.[1];
    const live = onlinePids().filter((pid) => pid !== killed);
    expect(live).toHaveLength(2);
    await waitFor(
      async () => {
        const text = await scrape();
        return total(text) === 40 && [...gaugePids(text)].sort().join() === [...live].sort().join()
          ? true
          : undefined;
      },
      10_000,
      `totals kept and gauges of the live workers only (${live.join(', ')}; ${killed} was killed)`,
    );
    expect((await fresh('/users/after')).status).toBe(200);
    await waitFor(async () => (total(await scrape()) === 41 ? true : undefined), 5000, 'the count after');
    // And no more than that, in any worker.
    for (let i = 0; i < 4; i++) expect(total(await scrape())).toBe(41);
  });
});
