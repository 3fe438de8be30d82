#!/usr/bin/env node
/**
 * A cluster scrape: 8 processes with 1,000 series each, summed into one exposition. prom-client's
 * AggregatorRegistry asks every worker over IPC and merges in the primary; ours reads the 8
 * mmstats files in the worker that serves /metrics (`clusterMetrics`). Both clusters run side by
 * side; scrapes alternate between them in batches, medians over the batches.
 *
 *   node bench/cluster.mjs             9 batches of 10 scrapes each
 *   node bench/cluster.mjs --quick     5 batches of 5
 *   node bench/cluster.mjs --workers 8 --series 1000 --reps 9
 *
 * Target (docs/targets.md): cluster scrapes at least 5x faster than AggregatorRegistry.
 */
import cluster from 'node:cluster';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { benchArgs } from './lib/args.mjs';
import { loadNote } from './lib/cpu.mjs';
import { ensureBuilt, ROOT } from './lib/packages.mjs';
import { startChild } from './lib/processes.mjs';
import { median, spread } from './lib/stats.mjs';
import { formatNs, formatRatio, markdownTable } from './lib/table.mjs';

const { values: args } = benchArgs('bench/cluster.mjs', {
  options: {
    quick: { type: 'boolean', default: false },
    reps: { type: 'string' },
    workers: { type: 'string', default: '8' },
    series: { type: 'string', default: '1000' },
    child: { type: 'string' },
    dir: { type: 'string' },
    index: { type: 'string', default: '0' },
  },
});
const REPS = Number(args.reps ?? (args.quick ? 5 : 9));
const PER_BATCH = args.quick ? 5 : 10;
const WORKERS = Number(args.workers);
const SERIES = Number(args.series);
const TARGET = 5;
const STATUSES = ['2XX', '3XX', '4XX', '5XX'];
const SCRIPT = fileURLToPath(import.meta.url);

/** The same series in every worker of both variants: `SERIES / 4` routes × 4 status classes. */
function fill(counter) {
  for (let i = 0; i < SERIES; i++) {
    counter.inc({ route: `/route/${i >> 2}`, status: STATUSES[i & 3] }, i + 1);
  }
}

/** The summed value of the first series: both variants must agree on it. */
const FIRST = 'bench_requests_total{route="/route/0",status="2XX"}';
const firstValue = (text) =>
  Number(
    text
      .split('\n')
      .find((l) => l.startsWith(`${FIRST} `))
      ?.split(' ')[1],
  );

async function promWorker() {
  const client = createRequire(import.meta.url)('prom-client');
  const counter = new client.Counter({
    name: 'bench_requests_total',
    help: 'r',
    labelNames: ['route', 'status'],
  });
  fill(counter);
  // prom-client answers the primary's requests only in workers that made an AggregatorRegistry.
  new client.AggregatorRegistry();
  process.send({ type: 'worker-ready' });
}

async function oursWorker(index) {
  const core = await import(pathToFileURL(join(ROOT, 'packages', 'core', 'dist', 'index.js')).href);
  const registry = new core.Registry({ storage: { directory: args.dir, app: 'bench-cluster' } });
  const counter = new core.Counter({
    name: 'bench_requests_total',
    help: 'r',
    labelNames: ['route', 'status'],
    registers: [registry],
  });
  fill(counter);
  registry.sync();
  const scraper = core.clusterMetrics(registry);
  process.on('message', async (message) => {
    if (message.type !== 'scrape') return;
    const times = [];
    let text = '';
    for (let i = 0; i < message.n; i++) {
      const start = process.hrtime.bigint();
      text = await scraper.metrics();
      times.push(Number(process.hrtime.bigint() - start));
    }
    process.send({ type: 'times', times, first: firstValue(text) });
  });
  process.send({ type: 'worker-ready', index });
}

/** A cluster primary for one variant; talks to the bench parent over IPC. */
async function primary(variant) {
  const client = variant === 'prom' ? createRequire(import.meta.url)('prom-client') : undefined;
  const aggregator = client ? new client.AggregatorRegistry() : undefined;
  const workerArgs = ['--child', `${variant}-worker`, '--series', String(SERIES), '--dir', args.dir ?? ''];
  const workers = [];
  await Promise.all(
    Array.from({ length: WORKERS }, (_, index) => {
      cluster.setupPrimary({ exec: SCRIPT, args: [...workerArgs, '--index', String(index)] });
      const worker = cluster.fork();
      workers.push(worker);
      return new Promise((resolve) => worker.once('message', resolve));
    }),
  );
  process.on('message', async (message) => {
    if (message.type === 'stop') {
      for (const worker of workers) worker.process.kill('SIGKILL');
      process.exit(0);
    }
    if (message.type !== 'scrape') return;
    if (aggregator) {
      const times = [];
      let text = '';
      for (let i = 0; i < message.n; i++) {
        const start = process.hrtime.bigint();
        text = await aggregator.clusterMetrics();
        times.push(Number(process.hrtime.bigint() - start));
      }
      process.send({ type: 'times', times, first: firstValue(text) });
    } else {
      // The worker that serves /metrics does the scrape.
      workers[0].send({ type: 'scrape', n: message.n });
      const reply = await new Promise((resolve) => workers[0].once('message', resolve));
      process.send(reply);
    }
  });
  process.send({ type: 'ready' });
}

if (args.child === 'prom-worker') await promWorker();
else if (args.child === 'ours-worker') await oursWorker(Number(args.index));
else if (args.child === 'prom' || args.child === 'ours') await primary(args.child);
else await parent();

async function parent() {
  ensureBuilt('core');
  const directory = mkdtempSync(join(tmpdir(), 'mmstats-bench-cluster-'));
  const common = ['--workers', String(WORKERS), '--series', String(SERIES), '--dir', directory];
  const children = {
    prom: startChild(process.execPath, [SCRIPT, '--child', 'prom', ...common]),
    ours: startChild(process.execPath, [SCRIPT, '--child', 'ours', ...common]),
  };
  const results = { prom: [], ours: [] };
  try {
    await Promise.all(Object.values(children).map((c) => c.expect('ready', 60_000)));
    const expected = WORKERS;
    for (let rep = 0; rep < REPS + 1; rep++) {
      // Alternate which goes first; the first round warms both up and is not counted.
      const order = rep % 2 === 0 ? ['prom', 'ours'] : ['ours', 'prom'];
      for (const variant of order) {
        children[variant].send({ type: 'scrape', n: PER_BATCH });
        const { times, first } = await children[variant].expect('times', 120_000);
        if (first !== expected) throw new Error(`${variant}: ${FIRST} is ${first}, expected ${expected}`);
        if (rep > 0) results[variant].push(median(times));
      }
    }
  } finally {
    await Promise.all(Object.values(children).map((c) => c.stop(3000)));
    rmSync(directory, { recursive: true, force: true });
  }
  const prom = median(results.prom);
  const ours = median(results.ours);
  console.log(
    `\nCluster scrape, ${WORKERS} processes × ${SERIES} series, ${REPS} batches of ${PER_BATCH} (median of batch medians):\n`,
  );
  console.log(
    markdownTable(
      ['variant', 'scrape', 'spread', 'vs AggregatorRegistry'],
      [
        [
          'prom-client AggregatorRegistry (IPC)',
          formatNs(prom),
          `${(spread(results.prom) * 100).toFixed(0)}%`,
          '1.0×',
        ],
        [
          'mmstats clusterMetrics (files)',
          formatNs(ours),
          `${(spread(results.ours) * 100).toFixed(0)}%`,
          formatRatio(prom / ours),
        ],
      ],
    ),
  );
  console.log(`\ntarget: at least ${TARGET}× faster; ${prom / ours >= TARGET ? 'met' : 'NOT met'}`);
  console.log(loadNote(loadavg(), cpus().length));
}
