#!/usr/bin/env node
/**
 * What `mmstats serve` costs and what it saves the app.
 *
 * 1. One scrape of 8 files × 1,000 series: through `mmstats serve` (read, aggregate, render, HTTP)
 *    against the same data rendered in-process: `renderMmstatsFiles` of the 8 files (what a
 *    cluster worker's /metrics does) and `registry.metrics()` of one registry holding the
 *    aggregated 1,000 series (what a single-process app's /metrics does).
 * 2. The app's event-loop delay (perf_hooks.monitorEventLoopDelay, 1 ms resolution) with 10,000
 *    series, while busy recording: never scraped; scraped in-process through its own endpoint;
 *    scraped through `mmstats serve` reading its file; and, as a control, `mmstats serve` scraped
 *    the same way but reading a copy of the file, so it burns the same CPU beside the app without
 *    touching what the app writes; and `mmstats serve` under `nice -n 19`, so the app gets the CPU
 *    first. Target: the app's p99 unchanged by scrapes.
 *    Scrapes come every `--interval` ms (default 100), not Prometheus' usual 15 s: the delay
 *    monitor takes one sample per timer tick, so a scrape shows in the p99 only when scrapes
 *    make up about 1% of the ticks.
 *
 *   node bench/serve.mjs            3 repetitions of each app mode, 10 s each
 *   node bench/serve.mjs --quick    2 repetitions, 5 s each
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { benchArgs } from './lib/args.mjs';
import { ensureBuilt, ROOT } from './lib/packages.mjs';
import { startChild } from './lib/processes.mjs';
import { median } from './lib/stats.mjs';
import { markdownTable } from './lib/table.mjs';

const { values: args } = benchArgs('bench/serve.mjs', {
  options: {
    quick: { type: 'boolean', default: false },
    reps: { type: 'string' },
    seconds: { type: 'string' },
    interval: { type: 'string' },
  },
});
const REPS = Number(args.reps ?? (args.quick ? 2 : 3));
const SECONDS = Number(args.seconds ?? (args.quick ? 5 : 10));
const INTERVAL_MS = Number(args.interval ?? 100);
const FILES = 8;
const SERIES_PER_FILE = 1000;
const APP_SERIES = 10_000;
const SCRAPES = args.quick ? 20 : 40;
const CLI = join(ROOT, 'packages', 'core', 'bin', 'mmstats.cjs');

ensureBuilt('core');
const dist = (name) => pathToFileURL(join(ROOT, 'packages', 'core', 'dist', `${name}.js`)).href;
const core = await import(dist('index'));
const files = await import(dist('files'));

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const root = mkdtempSync(join(tmpdir(), 'mmstats-bench-serve-'));
const running = [];

/** `mmstats serve` on a port it picks, as a child process stopped by its PID. */
async function startServe(dir, { nice = false } = {}) {
  const { spawn } = await import('node:child_process');
  const argv = [process.execPath, CLI, 'serve', '--port', '0', dir];
  const [command, ...rest] = nice ? ['nice', '-n', '19', ...argv] : argv;
  const child = spawn(command, rest, {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  running.push(child);
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('mmstats serve did not start within 15 s')), 15_000);
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /at (http:\/\/[^/\s]+)\//.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`mmstats serve exited with ${code}`)));
  });
  return {
    url,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        const kill = setTimeout(() => child.kill('SIGKILL'), 3000);
        child.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

async function timed(fn) {
  for (let i = 0; i < 5; i++) await fn();
  const times = [];
  for (let i = 0; i < SCRAPES; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b);
}

const sampleLines = (text) =>
  text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .sort();

async function scrapeCost() {
  const dir = join(root, 'scrape');
  mkdirSync(dir);
  const registries = [];
  const labelNames = ['route', 'status'];
  const label = (i) => [`/route/${i >> 2}`, `${(i & 3) + 2}XX`];
  for (let f = 0; f < FILES; f++) {
    const registry = new core.Registry({ storage: { directory: dir } });
    const counter = new core.Counter({
      name: 'http_requests_total',
      help: 'Requests',
      labelNames,
      registers: [registry],
    });
    for (let i = 0; i < SERIES_PER_FILE; i++) counter.labels(...label(i)).inc(f + i);
    registry.sync();
    registries.push(registry);
  }
  const single = new core.Registry({ storage: false });
  const total = new core.Counter({
    name: 'http_requests_total',
    help: 'Requests',
    labelNames,
    registers: [single],
  });
  for (let i = 0; i < SERIES_PER_FILE; i++) {
    let sum = 0;
    for (let f = 0; f < FILES; f++) sum += f + i;
    total.labels(...label(i)).inc(sum);
  }
  const serve = await startServe(dir);
  try {
    const scrape = async () => (await fetch(`${serve.url}/metrics`)).text();
    // Equal work: all three give the same samples.
    const viaServe = sampleLines(await scrape()).filter((line) => !line.startsWith('mmstats_serve_'));
    const viaFiles = sampleLines(files.renderMmstatsFiles(dir));
    const viaRegistry = sampleLines(await single.metrics());
    if (
      viaServe.length !== SERIES_PER_FILE ||
      viaServe.join() !== viaFiles.join() ||
      viaFiles.join() !== viaRegistry.join()
    ) {
      throw new Error(
        `the three renderings differ (${viaServe.length}, ${viaFiles.length}, ${viaRegistry.length} samples)`,
      );
    }
    const rows = [
      ['`mmstats serve`, GET /metrics over HTTP', await timed(scrape)],
      [
        'in-process `renderMmstatsFiles` of the 8 files',
        await timed(async () => files.renderMmstatsFiles(dir)),
      ],
      ['in-process `registry.metrics()`, 1,000 series', await timed(async () => single.metrics())],
    ];
    console.log(
      `\n## One scrape of ${FILES} files × ${SERIES_PER_FILE.toLocaleString('en')} series (${SCRAPES} scrapes each)\n`,
    );
    console.log(
      markdownTable(
        ['how', 'median', 'p90'],
        rows.map(([name, t]) => [
          name,
          `${median(t).toFixed(2)} ms`,
          `${t[Math.floor(t.length * 0.9)].toFixed(2)} ms`,
        ]),
      ),
    );
  } finally {
    await serve.stop();
    for (const registry of registries) registry.close();
  }
}

async function loopDelay(mode, rep) {
  const dir = join(root, `app-${mode}-${rep}`);
  mkdirSync(dir);
  const appArgs = [
    join(ROOT, 'bench', 'lib', 'loop-delay-app.mjs'),
    '--dir',
    dir,
    '--series',
    String(APP_SERIES),
  ];
  if (mode === 'in-process') appArgs.push('--endpoint');
  const app = startChild(process.execPath, appArgs);
  let serve = null;
  try {
    const ready = await app.expect('ready', 30_000);
    let target = null;
    if (mode === 'in-process') target = `http://127.0.0.1:${ready.port}/metrics`;
    if (mode === 'mmstats serve' || mode === 'mmstats serve, nice 19') {
      serve = await startServe(dir, { nice: mode.endsWith('nice 19') });
      target = `${serve.url}/metrics`;
    }
    if (mode === 'control: serve of a copy') {
      const copy = join(root, `copy-${rep}`);
      mkdirSync(copy);
      // Every file of the app: a registry this large spans several.
      for (const name of readdirSync(dir)) copyFileSync(join(dir, name), join(copy, name));
      serve = await startServe(copy);
      target = `${serve.url}/metrics`;
    }
    await sleep(1000);
    app.send({ type: 'measure' });
    const end = Date.now() + SECONDS * 1000;
    let scrapes = 0;
    let bytes = 0;
    while (Date.now() < end) {
      const started = Date.now();
      if (target !== null) {
        bytes = (await (await fetch(target)).text()).length;
        scrapes++;
      }
      await sleep(Math.max(0, INTERVAL_MS - (Date.now() - started)));
    }
    app.send({ type: 'report' });
    const delay = await app.expect('delay', 10_000);
    return { ...delay, scrapes, bytes };
  } finally {
    await serve?.stop();
    await app.stop();
  }
}

try {
  await scrapeCost();
  const modes = [
    'never scraped',
    'in-process',
    'mmstats serve',
    'mmstats serve, nice 19',
    'control: serve of a copy',
  ];
  const results = Object.fromEntries(modes.map((m) => [m, []]));
  for (let rep = 0; rep < REPS; rep++) {
    // Rotated order, so a load spike on the host does not always land on the same mode.
    for (let k = 0; k < modes.length; k++) {
      const mode = modes[(k + rep) % modes.length];
      results[mode].push(await loopDelay(mode, rep));
    }
  }
  console.log(
    `\n## The app's event-loop delay, ${APP_SERIES.toLocaleString('en')} series, a scrape every ${INTERVAL_MS} ms, ${SECONDS} s × ${REPS} (medians over the runs)\n`,
  );
  console.log(
    markdownTable(
      ['scraped', 'p50', 'p99', 'p99.9', 'max', 'scrapes per run', 'body'],
      modes.map((mode) => {
        const runs = results[mode];
        const m = (key) => `${median(runs.map((r) => r[key])).toFixed(2)} ms`;
        const body = runs[0].bytes ? `${(runs[0].bytes / 1024).toFixed(0)} KiB` : '–';
        return [
          mode,
          m('p50'),
          m('p99'),
          m('p999'),
          m('max'),
          String(median(runs.map((r) => r.scrapes))),
          body,
        ];
      }),
    ),
  );
} finally {
  for (const child of running) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
}
