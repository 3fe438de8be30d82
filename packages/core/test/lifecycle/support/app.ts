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
