import { mkdtempSync, readdirSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Child, message, runWriter } from '../../storage/support/child.js';

export function tempDirectory(name: string): string {
  return mkdtempSync(join(tmpdir(), `mmstats-${name}-`));
}

/** The `*.mmstats` files in a directory, by name. */
export function mmstatsFiles(directory: string): string[] {
  return readdirSync(directory)
    .filter((name) => name.endsWith('.mmstats') && !name.startsWith('.'))
    .sort();
}

export interface RunningApp {
  child: Child;
  port: number;
  pid: number;
}

/** Starts the test app (support/server.ts, bundled) with files in `directory`. */
export async function startApp(
  script: string,
  directory: string,
  settings: object,
  env: NodeJS.ProcessEnv = {},
): Promise<RunningApp> {
  const child = runWriter(script, settings, {
    env: { ...process.env, MMSTATS_PATH: directory, NODE_APP_INSTANCE: undefined, pm_id: undefined, ...env },
  });
  const ready = await message(child, (m) => typeof m.listening === 'number');
  return { child, port: ready.listening as number, pid: ready.pid as number };
}

/** One GET on 127.0.0.1; resolves with the status and body, rejects when the connection fails. */
export function request(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port, path, agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
  });
}

/** `http_requests_total` samples of an exposition, by `route status`, e.g. `"/a 2XX" → 3`. */
export function requestTotals(exposition: string): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const line of exposition.split('\n')) {
    const m = /^http_requests_total\{method="GET",route="([^"]*)",status="([^"]*)"\} (\S+)$/.exec(line);
    if (m) totals[`${m[1]} ${m[2]}`] = Number(m[3]);
  }
  return totals;
}

/** Waits until `count` messages match, or the child exits; bounded by `timeoutMs`. */
export async function messages(
  child: Child,
  test: (m: Record<string, unknown>) => boolean,
  count: number,
  timeoutMs = 20_000,
): Promise<Record<string, unknown>[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = child.messages.filter(test);
    if (found.length >= count) return found;
    if (child.process.exitCode !== null || child.process.signalCode !== null || Date.now() > deadline) {
      throw new Error(`expected ${count} messages, got ${found.length}; stderr:\n${child.stderr()}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Starts a node:cluster primary with `workers` workers (support/server.ts) and waits for them. */
export async function startCluster(
  script: string,
  directory: string,
  workers: number,
  env: NodeJS.ProcessEnv = {},
  settings: object = {},
): Promise<{ child: Child; port: number; listening: () => number[] }> {
  const child = runWriter(
    script,
    { ...settings, workers },
    { env: { ...process.env, MMSTATS_PATH: directory, ...env } },
  );
  const ready = await messages(child, (m) => typeof m.listening === 'number', workers);
  const listening = () =>
    child.messages.filter((m) => typeof m.listening === 'number').map((m) => m.pid as number);
  return { child, port: ready[0]!.listening as number, listening };
}

/**
 * Sends SIGTERM to a primary, which stops its workers and exits (SIGKILL after `ms`), then waits
 * for every worker it reported: workers archive their files as they exit, which can be after
 * their primary has gone (they end with it: node:cluster workers exit when their channel closes).
 */
export async function stopCluster(child: Child, ms = 5000): Promise<void> {
  if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGTERM');
  const timer = setTimeout(() => child.process.kill('SIGKILL'), ms);
  await child.exited;
  clearTimeout(timer);
  const workers = child.messages
    .map((m) => (typeof m.ready === 'number' ? m.ready : m.pid))
    .filter((pid): pid is number => typeof pid === 'number');
  const deadline = Date.now() + ms;
  while (workers.some(running)) {
    // Not killed here: by now such a PID may name an unrelated process.
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Whether a process with this PID exists: `kill(pid, 0)` succeeds. */
export function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const ROUTES = ['/a', '/missing', '/fail'] as const;
const CLASS: Record<number, string> = { 200: '2XX', 404: '4XX', 500: '5XX' };

/**
 * `total` requests over `concurrency` connections at a time, routes in turn; `during(i)` runs
 * before request i. Returns what the client received, as `route class → count`, and the failures.
 */
export async function load(
  port: number,
  total: number,
  concurrency: number,
  during: (i: number) => Promise<void> | void = () => {},
): Promise<{ received: Record<string, number>; failed: number }> {
  const received: Record<string, number> = {};
  let next = 0;
  let failed = 0;
  const loop = async () => {
    while (next < total) {
      const i = next++;
      await during(i);
      const route = ROUTES[i % ROUTES.length]!;
      try {
        const { status } = await request(port, route);
        const key = `${route} ${CLASS[status] ?? status}`;
        received[key] = (received[key] ?? 0) + 1;
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  return { received, failed };
}
